using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Faas.Sinks.Client.Tests;

/// <summary>
/// An in-memory sink manager speaking faas.v1.SinkProtocol: enough of the contract to isolate the agent
/// (tokens, registrations, heartbeats answering a settable state, one task queue for pulls), recording every call.
/// </summary>
public sealed class FakeSinkManager : SinkProtocol.SinkProtocolBase
{
    public const string Credential = "fsc_test_secret";

    private readonly ConcurrentDictionary<string, bool> tokens = new();
    private readonly ConcurrentDictionary<string, bool> sinks = new();
    private int logins;
    private int registrations;
    private int openPulls;
    private int pullsOpened;

    public Channel<SinkTask> Tasks { get; } = Channel.CreateUnbounded<SinkTask>();

    public ConcurrentQueue<string> Calls { get; } = new();

    public ConcurrentQueue<RegisterSinkRequest> Registrations { get; } = new();

    public ConcurrentQueue<(SinkHeartbeatRequest Request, string Token)> Heartbeats { get; } = new();

    public ConcurrentQueue<string> Acked { get; } = new();

    public ConcurrentQueue<string> Released { get; } = new();

    public ConcurrentDictionary<string, ExecuteResponse> Completed { get; } = new();

    public ConcurrentQueue<string> Deregistered { get; } = new();

    public ConcurrentDictionary<string, byte[]> Artifacts { get; } = new();

    public SinkState HeartbeatState { get; set; } = SinkState.SinkOnline;

    public int Logins => Volatile.Read(ref logins);

    public int OpenPulls => Volatile.Read(ref openPulls);

    public int PullsOpened => Volatile.Read(ref pullsOpened);

    /// <summary>Every token issued so far stops working.</summary>
    public void RevokeTokens() => tokens.Clear();

    /// <summary>Forgets every sink, as a restarted sink manager would.</summary>
    public void ForgetSinks() => sinks.Clear();

    public override Task<SinkLoginResponse> Login(SinkLoginRequest request, ServerCallContext context)
    {
        Calls.Enqueue("Login");
        if (request.Credential != Credential)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Unknown credential."));
        }

        var token = $"token-{Interlocked.Increment(ref logins)}";
        tokens[token] = true;
        return Task.FromResult(new SinkLoginResponse { Token = token, ExpiresAt = Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(15)) });
    }

    public override Task<RegisterSinkResponse> Register(RegisterSinkRequest request, ServerCallContext context)
    {
        Authenticate(context, "Register");
        Registrations.Enqueue(request);
        var sinkId = $"sink-{Interlocked.Increment(ref registrations)}";
        sinks[sinkId] = true;
        return Task.FromResult(new RegisterSinkResponse { SinkId = sinkId, HeartbeatIntervalMs = 50, OfflineAfterMs = 1_000 });
    }

    public override Task<SinkHeartbeatResponse> Heartbeat(SinkHeartbeatRequest request, ServerCallContext context)
    {
        var token = Authenticate(context, "Heartbeat");
        Known(request.SinkId);
        Heartbeats.Enqueue((request, token));
        return Task.FromResult(new SinkHeartbeatResponse { State = HeartbeatState });
    }

    public override async Task Pull(PullTasksRequest request, IServerStreamWriter<SinkTask> responseStream, ServerCallContext context)
    {
        Authenticate(context, "Pull");
        Known(request.SinkId);
        Interlocked.Increment(ref openPulls);
        Interlocked.Increment(ref pullsOpened);
        try
        {
            while (await Tasks.Reader.WaitToReadAsync(context.CancellationToken))
            {
                if (Tasks.Reader.TryRead(out var task))
                {
                    await responseStream.WriteAsync(task, context.CancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The sink closed the stream.
        }
        finally
        {
            Interlocked.Decrement(ref openPulls);
        }
    }

    public override Task<SinkTaskAck> Ack(SinkTaskRef request, ServerCallContext context)
    {
        Authenticate(context, "Ack");
        Acked.Enqueue(request.TaskId);
        return Task.FromResult(new SinkTaskAck());
    }

    public override Task<SinkTaskAck> Complete(CompleteSinkTaskRequest request, ServerCallContext context)
    {
        Authenticate(context, "Complete");
        Completed[request.TaskId] = request.Result;
        return Task.FromResult(new SinkTaskAck());
    }

    public override Task<SinkTaskAck> Release(SinkTaskRef request, ServerCallContext context)
    {
        Authenticate(context, "Release");
        Released.Enqueue(request.TaskId);
        return Task.FromResult(new SinkTaskAck());
    }

    public override Task<HttpBody> GetArtifact(GetSinkArtifactRequest request, ServerCallContext context)
    {
        Authenticate(context, "GetArtifact");
        Known(request.SinkId);
        return Artifacts.TryGetValue(request.ModuleSha256, out var bytes)
            ? Task.FromResult(new HttpBody { ContentType = "application/wasm", Data = ByteString.CopyFrom(bytes) })
            : throw new RpcException(new Status(StatusCode.NotFound, "No such artifact."));
    }

    public override Task<DeregisterSinkResponse> Deregister(DeregisterSinkRequest request, ServerCallContext context)
    {
        Authenticate(context, "Deregister");
        Known(request.SinkId);
        sinks.TryRemove(request.SinkId, out _);
        Deregistered.Enqueue(request.SinkId);
        return Task.FromResult(new DeregisterSinkResponse());
    }

    private string Authenticate(ServerCallContext context, string call)
    {
        Calls.Enqueue(call);
        var header = context.RequestHeaders.GetValue("authorization") ?? "";
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (!tokens.ContainsKey(token))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "A valid sink token is required."));
        }

        return token;
    }

    private void Known(string sinkId)
    {
        if (!sinks.ContainsKey(sinkId))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"No sink {sinkId}."));
        }
    }
}

/// <summary>The fake sink manager on Kestrel, plaintext HTTP/2 on a free loopback port.</summary>
public sealed class FakeSinkManagerHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeSinkManagerHost(WebApplication app, FakeSinkManager manager, Uri address)
    {
        this.app = app;
        Manager = manager;
        Address = address;
    }

    public FakeSinkManager Manager { get; }

    public Uri Address { get; }

    public static async Task<FakeSinkManagerHost> StartAsync()
    {
        var manager = new FakeSinkManager();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(manager);
        var app = builder.Build();
        app.MapGrpcService<FakeSinkManager>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeSinkManagerHost(app, manager, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
