using System.Text.RegularExpressions;
using Faas.Protos.V1;
using Faas.SinkManager.Auth;
using Faas.SinkManager.Membership;
using Faas.Storage.Postgres;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Faas.SinkManager.Grpc;

/// <summary>faas.v1.SinkProtocol: what sinks call. Every call but Login is authorized by a sink token (see <see cref="SinkAuthentication"/>).</summary>
public sealed partial class SinkProtocolService(SinkRegistry registry, SinkCredentials credentials, SinkLoginGuard guard, ArtifactStore artifacts) : SinkProtocol.SinkProtocolBase
{
    public const int MaxNameLength = 63;

    [Microsoft.AspNetCore.Authorization.AllowAnonymous]
    public override async Task<SinkLoginResponse> Login(SinkLoginRequest request, ServerCallContext context)
    {
        var address = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (guard.Blocked(address) is { } wait)
        {
            throw Exhausted($"Too many failed sink logins from {address}; try again in {Math.Ceiling(wait.TotalSeconds):0} s.", wait);
        }

        using var turn = await guard.EnterAsync(context.CancellationToken).ConfigureAwait(false);
        if (!turn.IsAcquired)
        {
            throw Exhausted("Too many sink logins at once; try again shortly.", TimeSpan.FromSeconds(1));
        }

        var login = await credentials.LoginAsync(request.Credential, context.CancellationToken).ConfigureAwait(false);
        if (login is null)
        {
            guard.Failed(address);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Unknown, revoked or wrong sink credential."));
        }

        return new SinkLoginResponse { Token = login.Token, ExpiresAt = Timestamp.FromDateTimeOffset(login.ExpiresAt) };
    }

    private static RpcException Exhausted(string message, TimeSpan retryAfter) => new(
        new Status(StatusCode.ResourceExhausted, message),
        new Metadata { { Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader, Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) } });

    public override Task<RegisterSinkResponse> Register(RegisterSinkRequest request, ServerCallContext context)
    {
        Validate(request);
        return Task.FromResult(registry.Register(SinkCaller.CredentialId(context), request));
    }

    public override Task<SinkHeartbeatResponse> Heartbeat(SinkHeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(new SinkHeartbeatResponse { State = registry.Heartbeat(SinkCaller.CredentialId(context), request.SinkId, request.Load) });

    public override async Task Pull(PullTasksRequest request, IServerStreamWriter<SinkTask> responseStream, ServerCallContext context)
    {
        var connection = new PullConnection();
        registry.Connect(SinkCaller.CredentialId(context), request.SinkId, connection);
        try
        {
            await foreach (var task in connection.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(task, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The sink went away.
        }
        finally
        {
            registry.Disconnect(request.SinkId, connection);
        }
    }

    public override Task<SinkTaskAck> Ack(SinkTaskRef request, ServerCallContext context)
    {
        registry.Ack(SinkCaller.CredentialId(context), request.SinkId, request.TaskId);
        return Task.FromResult(new SinkTaskAck());
    }

    public override Task<SinkTaskAck> Complete(CompleteSinkTaskRequest request, ServerCallContext context)
    {
        if (request.Result is null || request.Result.Outcome == ExecutionOutcome.Unspecified)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A completion needs a result with an outcome (OK, EXITED_NON_ZERO, TRAPPED, TIMEOUT, OUT_OF_MEMORY, INSTANTIATION_FAILED)."));
        }

        registry.Complete(SinkCaller.CredentialId(context), request.SinkId, request.TaskId, request.Result);
        return Task.FromResult(new SinkTaskAck());
    }

    public override Task<SinkTaskAck> Release(SinkTaskRef request, ServerCallContext context)
    {
        registry.Release(SinkCaller.CredentialId(context), request.SinkId, request.TaskId);
        return Task.FromResult(new SinkTaskAck());
    }

    public override async Task<HttpBody> GetArtifact(GetSinkArtifactRequest request, ServerCallContext context)
    {
        if (!registry.MayFetch(SinkCaller.CredentialId(context), request.SinkId, request.ModuleSha256))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"Sink {request.SinkId} was given no task of module {request.ModuleSha256}."));
        }

        var code = await artifacts.GetWasmAsync(request.ModuleSha256, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"There is no artifact {request.ModuleSha256}."));
        var isWasm = code.Length >= 4 && code[0] == 0 && code[1] == (byte)'a' && code[2] == (byte)'s' && code[3] == (byte)'m';
        return new HttpBody { ContentType = isWasm ? "application/wasm" : "text/javascript; charset=utf-8", Data = ByteString.CopyFrom(code) };
    }

    public override Task<DeregisterSinkResponse> Deregister(DeregisterSinkRequest request, ServerCallContext context)
    {
        registry.Deregister(SinkCaller.CredentialId(context), request.SinkId);
        return Task.FromResult(new DeregisterSinkResponse());
    }

    internal static void Validate(RegisterSinkRequest request)
    {
        if (!NamePattern().IsMatch(request.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"A sink name has 1..{MaxNameLength} characters: letters, digits, '.', '_' and '-'."));
        }

        var capacity = request.Capacity ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "A registration needs its capacity."));
        if (capacity.Slots == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "capacity.slots must be at least 1."));
        }

        if (capacity.MemoryMb == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "capacity.memory_mb must be at least 1."));
        }

        if (capacity.Runtimes.Count == 0 || capacity.Runtimes.Any(r => !RuntimePattern().IsMatch(r)))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "capacity.runtimes lists at least one runtime, each 1..32 characters of [a-z0-9-] (e.g. \"wasm\", \"javascript\")."));
        }

        if (capacity.Modes.Any(m => m == ExecutionMode.Unspecified))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "capacity.modes lists WARM and/or JOB."));
        }

        if (request.PushAddress.Length > 0
            && (!Uri.TryCreate(request.PushAddress, UriKind.Absolute, out var push) || push.Scheme is not ("http" or "https")))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"push_address '{request.PushAddress}' is not an http(s) URL."));
        }

        if (request.Labels.Count > 32 || request.Labels.Any(l => l.Key.Length is 0 or > 63 || l.Value.Length > 256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "At most 32 labels, names of 1..63 characters, values of up to 256."));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}\\z")]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^[a-z0-9-]{1,32}\\z")]
    private static partial Regex RuntimePattern();
}
