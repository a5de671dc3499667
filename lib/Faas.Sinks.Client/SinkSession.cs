using Faas.Protos.V1;
using Faas.Sinks.Client.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Faas.Sinks.Client;

/// <summary>
/// The sink's standing with the sink manager: the channel to it, the sink token (logging in again at two thirds of
/// its lifetime and whenever a call answers UNAUTHENTICATED), the registration, the heartbeats and the state they
/// answer, and the deregistration. Thread-safe: the status is guarded by its own lock, the token by a log-in gate.
/// </summary>
internal sealed class SinkSession : IDisposable
{
    private readonly SinkClientOptions options;
    private readonly Uri sinkManager;
    private readonly ISinkLoad load;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Action<SinkStateChangedEventArgs> stateChanged;
    private readonly Action endPullStream;
    private readonly GrpcChannel channel;
    private readonly SemaphoreSlim loggingIn = new(1, 1);
    private readonly Lock sync = new();

    private Login? login;
    private SinkAgentStatus status = new();

    /// <param name="stateChanged">Told when a heartbeat answers a state other than the last one.</param>
    /// <param name="endPullStream">Told when an open Pull stream must end: the sink registered again, is no longer
    /// known, drains or was deleted.</param>
    public SinkSession(
        SinkClientOptions options, ISinkLoad load, ILogger logger, TimeProvider time,
        Action<SinkStateChangedEventArgs> stateChanged, Action endPullStream)
    {
        this.options = options;
        sinkManager = options.SinkManager ?? throw new InvalidOperationException(
            $"{SinkClientOptions.SectionName}:SinkManager (or {SinkClientOptions.SinkManagerEndpointKey}) is not set.");
        this.load = load;
        this.logger = logger;
        this.time = time;
        this.stateChanged = stateChanged;
        this.endPullStream = endPullStream;
        channel = CreateChannel(sinkManager);
        Client = new SinkProtocol.SinkProtocolClient(channel);
    }

    public SinkProtocol.SinkProtocolClient Client { get; }

    /// <summary>The registration as last known (without the running tasks, which the puller counts).</summary>
    public SinkAgentStatus Status
    {
        get
        {
            lock (sync)
            {
                return status;
            }
        }
    }

    /// <summary>The sink id, while registered.</summary>
    public string? SinkId => Status.SinkId;

    /// <summary>How often to heartbeat, as the sink manager answered the registration.</summary>
    public TimeSpan HeartbeatInterval { get; private set; } = TimeSpan.FromSeconds(5);

    public async Task<string> RegisterAsync(CancellationToken cancellationToken)
    {
        var request = new RegisterSinkRequest
        {
            Name = options.Name,
            Capacity = new SinkCapacity
            {
                Slots = (uint)options.Slots,
                MemoryMb = (uint)options.MemoryMb,
                MaxFunctionMemoryMb = (uint)options.MaxFunctionMemoryMb,
                Runtimes = { options.Runtimes },
                Modes = { options.Modes },
            },
            PushAddress = options.PushAddress?.Trim() ?? "",
            Labels = { options.Labels },
        };
        var response = await CallAsync((headers, token) => Client.RegisterAsync(request, headers, Deadline(), token), cancellationToken)
            .ConfigureAwait(false);
        HeartbeatInterval = TimeSpan.FromMilliseconds(response.HeartbeatIntervalMs is > 0 ? response.HeartbeatIntervalMs : 5_000);
        lock (sync)
        {
            status = status with
            {
                Registered = true,
                EverRegistered = true,
                SinkId = response.SinkId,
                State = SinkState.SinkOnline,
                LastError = null,
            };
        }

        Log.Registered(logger, options.Name, response.SinkId, options.Pulls ? "pull" : $"push to {options.PushAddress}",
            options.Slots, options.MemoryMb, response.HeartbeatIntervalMs);
        // A stream opened for an earlier registration reopens for this one.
        endPullStream();
        return response.SinkId;
    }

    /// <summary>The state the sink manager answered; null when it no longer knows the sink (it is forgotten, to register again).</summary>
    public async Task<SinkState?> HeartbeatAsync(string sinkId, CancellationToken cancellationToken)
    {
        var request = new SinkHeartbeatRequest { SinkId = sinkId, Load = CurrentLoad() };
        SinkHeartbeatResponse response;
        try
        {
            response = await CallAsync((headers, token) => Client.HeartbeatAsync(request, headers, Deadline(), token), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            Log.SinkUnknown(logger, sinkId);
            lock (sync)
            {
                status = status with { Registered = false, SinkId = null, LastHeartbeatSucceeded = false, LastError = e.Status.Detail };
            }

            endPullStream();
            return null;
        }

        SinkState previous;
        lock (sync)
        {
            previous = status.State;
            status = status with { State = response.State, LastHeartbeatAt = time.GetUtcNow(), LastHeartbeatSucceeded = true, LastError = null };
        }

        if (response.State != previous)
        {
            OnStateChanged(sinkId, previous, response.State);
        }

        return response.State;
    }

    /// <summary>A registration or heartbeat failed: the status says why, and the log says when it is tried again.</summary>
    public void Failed(Exception exception, TimeSpan retry)
    {
        var reason = exception is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : exception.Message;
        lock (sync)
        {
            status = status with { LastHeartbeatSucceeded = false, LastError = reason };
        }

        if (exception is RpcException or HttpRequestException or IOException or OperationCanceledException)
        {
            Log.CallFailed(logger, sinkManager, retry.TotalMilliseconds, reason);
        }
        else
        {
            Log.Unexpected(logger, exception);
        }
    }

    /// <summary>Deregisters the sink, when it is registered (bounded by the call timeout; a failure is logged).</summary>
    public async Task DeregisterAsync()
    {
        if (SinkId is not { } sinkId)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(options.CallTimeout);
            await CallAsync(
                (headers, token) => Client.DeregisterAsync(new DeregisterSinkRequest { SinkId = sinkId }, headers, Deadline(), token),
                timeout.Token).ConfigureAwait(false);
            Log.Deregistered(logger, sinkId);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException)
        {
            Log.DeregisterFailed(logger, sinkId, e.Message);
        }

        lock (sync)
        {
            status = status with { Registered = false, SinkId = null };
        }
    }

    /// <summary>The code of a function this sink was given a task for; null when the sink manager has none for it.</summary>
    public async Task<byte[]?> GetArtifactAsync(string moduleSha256, CancellationToken cancellationToken)
    {
        var sinkId = SinkId ?? throw new InvalidOperationException("The sink is not registered with the sink manager.");
        try
        {
            var body = await CallAsync(
                (headers, token) => Client.GetArtifactAsync(
                    new GetSinkArtifactRequest { SinkId = sinkId, ModuleSha256 = moduleSha256 }, headers, Deadline(), token),
                cancellationToken).ConfigureAwait(false);
            return body.Data.ToByteArray();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A call with the sink token; once more with a fresh token when the sink manager rejects it.</summary>
    public async Task<T> CallAsync<T>(Func<Metadata, CancellationToken, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        var token = await TokenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call(Authorization(token), cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            Log.TokenRejected(logger);
            ForgetToken(token);
            token = await TokenAsync(cancellationToken).ConfigureAwait(false);
            return await call(Authorization(token), cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
    }

    /// <summary>The sink token: the current one, or a fresh one when it is due for renewal or was forgotten.</summary>
    public async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref login) is { } current && time.GetUtcNow() < current.RefreshAt)
        {
            return current.Token;
        }

        await loggingIn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (login is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
            {
                return fresh.Token;
            }

            var response = await Client.LoginAsync(
                new SinkLoginRequest { Credential = ReadCredential() }, deadline: Deadline(), cancellationToken: cancellationToken)
                .ResponseAsync.ConfigureAwait(false);
            var now = time.GetUtcNow();
            var expiresAt = response.ExpiresAt?.ToDateTimeOffset() ?? now.AddMinutes(15);
            var lifetime = expiresAt > now ? expiresAt - now : TimeSpan.Zero;
            Volatile.Write(ref login, new Login(response.Token, now + (lifetime * 2 / 3)));
            Log.LoggedIn(logger, sinkManager, expiresAt);
            return response.Token;
        }
        finally
        {
            loggingIn.Release();
        }
    }

    /// <summary>The sink manager rejected <paramref name="rejected"/>: the next call logs in again (unless another already did).</summary>
    public void ForgetToken(string? rejected)
    {
        var current = Volatile.Read(ref login);
        if (rejected is not null && current is not null && current.Token == rejected)
        {
            Interlocked.CompareExchange(ref login, null, current);
        }
    }

    public static Metadata Authorization(string token) => new() { { "authorization", "Bearer " + token } };

    public DateTime Deadline() => DateTime.UtcNow + options.CallTimeout;

    public void Dispose()
    {
        channel.Dispose();
        loggingIn.Dispose();
    }

    private static GrpcChannel CreateChannel(Uri sinkManager) => GrpcChannel.ForAddress(sinkManager, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        },
        // Artifacts (modules, sources) and payloads travel through this channel.
        MaxReceiveMessageSize = 64 * 1024 * 1024,
        MaxSendMessageSize = 64 * 1024 * 1024,
    });

    private void OnStateChanged(string sinkId, SinkState previous, SinkState state)
    {
        switch (state)
        {
            case SinkState.SinkDraining:
                Log.Draining(logger, sinkId);
                endPullStream();
                break;
            case SinkState.SinkDeleted:
                Log.Deleted(logger, sinkId);
                endPullStream();
                break;
            default:
                Log.StateChanged(logger, sinkId, state, previous);
                break;
        }

        try
        {
            stateChanged(new SinkStateChangedEventArgs(previous, state));
        }
        catch (Exception e)
        {
            Log.StateHandlerFailed(logger, e);
        }
    }

    private SinkLoad CurrentLoad()
    {
        try
        {
            var report = load.GetLoad();
            return new SinkLoad
            {
                Cpu = Math.Clamp(report.Cpu, 0, 1),
                MemoryBytes = (ulong)Math.Max(0, report.MemoryBytes),
                InFlight = (uint)Math.Max(0, report.InFlight),
                WarmModules = { report.WarmModules },
            };
        }
        catch (Exception e)
        {
            Log.LoadFailed(logger, e);
            return new SinkLoad();
        }
    }

    private string ReadCredential() =>
        !string.IsNullOrWhiteSpace(options.Credential)
            ? options.Credential.Trim()
            : File.ReadAllText(options.CredentialFile!).Trim();

    /// <summary>A sink token and when to log in again for a fresh one.</summary>
    private sealed record Login(string Token, DateTimeOffset RefreshAt);
}
