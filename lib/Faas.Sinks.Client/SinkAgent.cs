using System.Collections.Concurrent;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Retries;
using Faas.Sinks.Client.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Sinks.Client;

/// <summary>
/// A sink's side of faas.v1.SinkProtocol: logs in with the sink credential (again at two thirds of the token's
/// lifetime and whenever a call answers UNAUTHENTICATED), registers the sink's capacity, heartbeats its load
/// (registering again when the sink manager no longer knows it), follows the state the sink manager answers
/// (DRAINING: no new tasks; DELETED: stop for good), and retries with capped exponential backoff while the sink
/// manager is unreachable, never failing its host.
/// A sink that pulls (no push address, an <see cref="ISinkTaskRunner"/> registered) keeps one Pull stream open
/// and acknowledges, runs and completes every task within its slots and memory. On stop it stops pulling,
/// releases the tasks it has not started, waits (bounded) for those it runs, and deregisters.
/// </summary>
public sealed class SinkAgent : BackgroundService
{
    private readonly SinkClientOptions options;
    private readonly Uri sinkManager;
    private readonly ISinkLoad load;
    private readonly ISinkTaskRunner? runner;
    private readonly IHostApplicationLifetime? lifetime;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly GrpcChannel channel;
    private readonly SinkProtocol.SinkProtocolClient client;
    private readonly SemaphoreSlim loggingIn = new(1, 1);
    private readonly SemaphoreSlim slots;
    private readonly MemoryBudget memory;
    private readonly ConcurrentDictionary<long, Task> tasks = new();
    private readonly CancellationTokenSource abort = new();
    private readonly Lock sync = new();

    private Session? session;
    private SinkAgentStatus status = new();
    private CancellationTokenSource? pullStream;
    private TimeSpan heartbeatInterval = TimeSpan.FromSeconds(5);
    private long nextTaskKey;
    private int running;

    public SinkAgent(
        IOptions<SinkClientOptions> options, ISinkLoad load, IEnumerable<ISinkTaskRunner> runners, ILogger<SinkAgent> logger,
        IHostApplicationLifetime? lifetime = null, TimeProvider? time = null)
    {
        this.options = options.Value;
        sinkManager = this.options.SinkManager ?? throw new InvalidOperationException(
            $"{SinkClientOptions.SectionName}:SinkManager (or {SinkClientOptions.SinkManagerEndpointKey}) is not set.");
        this.load = load;
        runner = runners.LastOrDefault();
        this.logger = logger;
        this.lifetime = lifetime;
        this.time = time ?? TimeProvider.System;
        slots = new SemaphoreSlim(Math.Max(1, this.options.Slots));
        memory = new MemoryBudget(Math.Max(1, this.options.MemoryMb));
        channel = GrpcChannel.ForAddress(sinkManager, new GrpcChannelOptions
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
        client = new SinkProtocol.SinkProtocolClient(channel);
    }

    /// <summary>Raised when a heartbeat answers a state other than the last one (DRAINING, DELETED, ...).</summary>
    public event EventHandler<SinkStateChangedEventArgs>? StateChanged;

    /// <summary>The registration as last known.</summary>
    public SinkAgentStatus Status
    {
        get
        {
            lock (sync)
            {
                return status with { RunningTasks = Volatile.Read(ref running) };
            }
        }
    }

    /// <summary>The sink id, while registered.</summary>
    public string? SinkId => Status.SinkId;

    /// <summary>Whether the sink takes work: registered, and neither draining nor deleted.</summary>
    public bool AcceptsWork => Status is { Registered: true, Draining: false, Deleted: false };

    /// <summary>Whether this agent pulls tasks: no push address, and a task runner is registered.</summary>
    public bool Pulls => options.Pulls && runner is not null;

    /// <summary>
    /// The code of a function this sink was given a task for (GetArtifact), by its module_sha256; null when the
    /// sink manager has none for this sink.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sink is not registered.</exception>
    /// <exception cref="RpcException">The sink manager could not answer.</exception>
    public async Task<byte[]?> GetArtifactAsync(string moduleSha256, CancellationToken cancellationToken)
    {
        var sinkId = SinkId ?? throw new InvalidOperationException("The sink is not registered with the sink manager.");
        try
        {
            var body = await CallAsync(
                (headers, token) => client.GetArtifactAsync(
                    new GetSinkArtifactRequest { SinkId = sinkId, ModuleSha256 = moduleSha256 }, headers, Deadline(), token),
                cancellationToken).ConfigureAwait(false);
            return body.Data.ToByteArray();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (options.Pulls && runner is null)
        {
            Log.NoRunner(logger, options.Name);
        }

        var pulling = Task.CompletedTask;
        var deleted = false;
        var backoff = new Backoff(options.InitialRetryDelay, options.MaxRetryDelay);
        try
        {
            // A sink that is pushed to must be listening before it is placed on.
            await WaitForHostStartedAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    var sinkId = SinkId ?? await RegisterAsync(stoppingToken).ConfigureAwait(false);
                    if (Pulls && pulling.IsCompleted && !Status.Draining)
                    {
                        pulling = PullLoopAsync(stoppingToken);
                    }

                    var state = await HeartbeatAsync(sinkId, stoppingToken).ConfigureAwait(false);
                    if (state == SinkState.SinkDeleted)
                    {
                        deleted = true;
                        return;
                    }

                    backoff.Reset();
                    wait = state is null ? TimeSpan.Zero : heartbeatInterval;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    wait = backoff.Next();
                    Failed(e, wait);
                }

                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await ShutdownAsync(pulling, deleted).ConfigureAwait(false);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        abort.Dispose();
        channel.Dispose();
        slots.Dispose();
        loggingIn.Dispose();
    }

    private async Task WaitForHostStartedAsync(CancellationToken stoppingToken)
    {
        if (lifetime is null || lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
    }

    private async Task<string> RegisterAsync(CancellationToken cancellationToken)
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
        var response = await CallAsync((headers, token) => client.RegisterAsync(request, headers, Deadline(), token), cancellationToken)
            .ConfigureAwait(false);
        heartbeatInterval = TimeSpan.FromMilliseconds(response.HeartbeatIntervalMs is > 0 ? response.HeartbeatIntervalMs : 5_000);
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
        CancelPullStream();
        return response.SinkId;
    }

    /// <summary>The state the sink manager answered; null when it no longer knows the sink (it is forgotten, to register again).</summary>
    private async Task<SinkState?> HeartbeatAsync(string sinkId, CancellationToken cancellationToken)
    {
        var request = new SinkHeartbeatRequest { SinkId = sinkId, Load = CurrentLoad() };
        SinkHeartbeatResponse response;
        try
        {
            response = await CallAsync((headers, token) => client.HeartbeatAsync(request, headers, Deadline(), token), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            Log.SinkUnknown(logger, sinkId);
            lock (sync)
            {
                status = status with { Registered = false, SinkId = null, LastHeartbeatSucceeded = false, LastError = e.Status.Detail };
            }

            CancelPullStream();
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

    private void OnStateChanged(string sinkId, SinkState previous, SinkState state)
    {
        switch (state)
        {
            case SinkState.SinkDraining:
                Log.Draining(logger, sinkId);
                CancelPullStream();
                break;
            case SinkState.SinkDeleted:
                Log.Deleted(logger, sinkId);
                CancelPullStream();
                break;
            default:
                Log.StateChanged(logger, sinkId, state, previous);
                break;
        }

        try
        {
            StateChanged?.Invoke(this, new SinkStateChangedEventArgs(previous, state));
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

    private void Failed(Exception exception, TimeSpan retry)
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

    private async Task PullLoopAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var backoff = new Backoff(options.InitialRetryDelay, options.MaxRetryDelay);
        while (!stoppingToken.IsCancellationRequested && !Status.Draining && !Status.Deleted)
        {
            var sinkId = SinkId;
            var reason = "the sink is not registered";
            if (sinkId is not null)
            {
                using var stream = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                lock (sync)
                {
                    pullStream = stream;
                }

                string? token = null;
                try
                {
                    token = await TokenAsync(stream.Token).ConfigureAwait(false);
                    using var call = client.Pull(new PullTasksRequest { SinkId = sinkId }, Authorization(token), cancellationToken: stream.Token);
                    Log.Pulling(logger, sinkId);
                    await foreach (var task in call.ResponseStream.ReadAllAsync(stream.Token).ConfigureAwait(false))
                    {
                        backoff.Reset();
                        Accept(sinkId, task, stoppingToken);
                    }

                    reason = "the sink manager closed it";
                }
                catch (Exception) when (stream.IsCancellationRequested)
                {
                    // Stopping, draining, or registered again: the loop decides.
                    reason = "";
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
                {
                    Log.TokenRejected(logger);
                    ForgetToken(token);
                    reason = "the token was rejected";
                }
                catch (Exception e)
                {
                    reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
                }
                finally
                {
                    lock (sync)
                    {
                        if (pullStream == stream)
                        {
                            pullStream = null;
                        }
                    }
                }
            }

            if (stoppingToken.IsCancellationRequested || Status.Draining || Status.Deleted)
            {
                break;
            }

            var wait = reason.Length == 0 ? TimeSpan.Zero : backoff.Next();
            if (sinkId is not null && reason.Length > 0)
            {
                Log.PullEnded(logger, sinkId, wait.TotalMilliseconds, reason);
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void CancelPullStream()
    {
        CancellationTokenSource? stream;
        lock (sync)
        {
            stream = pullStream;
        }

        try
        {
            stream?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That stream has ended already.
        }
    }

    private void Accept(string sinkId, SinkTask task, CancellationToken stoppingToken)
    {
        Log.TaskReceived(logger, task.TaskId, task.ExecutionId, task.Delivery);
        var key = Interlocked.Increment(ref nextTaskKey);
        tasks[key] = HandleTaskAsync(key, sinkId, task, stoppingToken);
    }

    private async Task HandleTaskAsync(long key, string sinkId, SinkTask task, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var memoryMb = (int)Math.Min(task.Function?.MemoryMb ?? 0, int.MaxValue);
        try
        {
            if (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(sinkId, task, "the sink is stopping").ConfigureAwait(false);
                return;
            }

            if (!await TaskCallAsync(task, "Ack", (headers, token) => client.AckAsync(Ref(sinkId, task), headers, Deadline(), token))
                .ConfigureAwait(false))
            {
                return;
            }

            try
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                try
                {
                    await memory.WaitAsync(memoryMb, stoppingToken).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release();
                    throw;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                await ReleaseAsync(sinkId, task, "the sink is stopping").ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref running);
            try
            {
                ExecuteResponse result;
                try
                {
                    result = await runner!.RunAsync(task, abort.Token).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    Log.TaskRunFailed(logger, e, task.TaskId);
                    await ReleaseAsync(sinkId, task, e.Message).ConfigureAwait(false);
                    return;
                }

                await CompleteAsync(sinkId, task, result).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref running);
                memory.Release(memoryMb);
                slots.Release();
            }
        }
        catch (Exception e)
        {
            // Whatever happened, the task goes elsewhere when its ack timeout or lease passes.
            Log.TaskCallFailed(logger, task.TaskId, "handling", e.Message);
        }
        finally
        {
            tasks.TryRemove(key, out _);
        }
    }

    private async Task CompleteAsync(string sinkId, SinkTask task, ExecuteResponse result)
    {
        var request = new CompleteSinkTaskRequest { SinkId = sinkId, TaskId = task.TaskId, Result = result };
        var backoff = new Backoff(options.InitialRetryDelay, options.MaxRetryDelay);
        // The result is worth a few tries while the sink manager is briefly unreachable; past that, the lease
        // expires and the task runs elsewhere.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CallAsync((headers, token) => client.CompleteAsync(request, headers, Deadline(), token), abort.Token).ConfigureAwait(false);
                return;
            }
            catch (RpcException e) when (attempt < 5 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
            {
                Log.TaskCallFailed(logger, task.TaskId, "Complete", $"{e.StatusCode}: {e.Status.Detail}");
                await Task.Delay(backoff.Next(), time, abort.Token).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
            {
                Log.TaskGone(logger, task.TaskId, e.Status.Detail);
                return;
            }
        }
    }

    private async Task ReleaseAsync(string sinkId, SinkTask task, string reason)
    {
        if (await TaskCallAsync(task, "Release", (headers, token) => client.ReleaseAsync(Ref(sinkId, task), headers, Deadline(), token))
            .ConfigureAwait(false))
        {
            Log.TaskReleased(logger, task.TaskId, reason);
        }
    }

    /// <summary>A call about one task; false (logged) when it failed, e.g. because the task is no longer this sink's.</summary>
    private async Task<bool> TaskCallAsync(SinkTask task, string name, Func<Metadata, CancellationToken, AsyncUnaryCall<SinkTaskAck>> call)
    {
        try
        {
            await CallAsync(call, abort.Token).ConfigureAwait(false);
            return true;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            Log.TaskGone(logger, task.TaskId, e.Status.Detail);
            return false;
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException)
        {
            Log.TaskCallFailed(logger, task.TaskId, name, e.Message);
            return false;
        }
    }

    private async Task ShutdownAsync(Task pulling, bool deleted)
    {
        CancelPullStream();
        try
        {
            await pulling.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.Unexpected(logger, e);
        }

        var pending = tasks.Values.ToArray();
        if (pending.Length > 0)
        {
            Log.WaitingForTasks(logger, pending.Length, options.ShutdownTimeout.TotalMilliseconds);
            try
            {
                await Task.WhenAll(pending).WaitAsync(options.ShutdownTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.TasksAbandoned(logger, tasks.Count);
                await abort.CancelAsync().ConfigureAwait(false);
                await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromSeconds(5), time)).ConfigureAwait(false);
            }
        }

        if (deleted || SinkId is not { } sinkId)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(options.CallTimeout);
            await CallAsync(
                (headers, token) => client.DeregisterAsync(new DeregisterSinkRequest { SinkId = sinkId }, headers, Deadline(), token),
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

    /// <summary>A call with the sink token; once more with a fresh token when the sink manager rejects it.</summary>
    private async Task<T> CallAsync<T>(Func<Metadata, CancellationToken, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
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

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref session) is { } current && time.GetUtcNow() < current.RefreshAt)
        {
            return current.Token;
        }

        await loggingIn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (session is { } fresh && time.GetUtcNow() < fresh.RefreshAt)
            {
                return fresh.Token;
            }

            var response = await client.LoginAsync(
                new SinkLoginRequest { Credential = ReadCredential() }, deadline: Deadline(), cancellationToken: cancellationToken)
                .ResponseAsync.ConfigureAwait(false);
            var now = time.GetUtcNow();
            var expiresAt = response.ExpiresAt?.ToDateTimeOffset() ?? now.AddMinutes(15);
            var lifetime = expiresAt > now ? expiresAt - now : TimeSpan.Zero;
            Volatile.Write(ref session, new Session(response.Token, now + (lifetime * 2 / 3)));
            Log.LoggedIn(logger, sinkManager, expiresAt);
            return response.Token;
        }
        finally
        {
            loggingIn.Release();
        }
    }

    private void ForgetToken(string? token)
    {
        var current = Volatile.Read(ref session);
        if (token is not null && current is not null && current.Token == token)
        {
            Interlocked.CompareExchange(ref session, null, current);
        }
    }

    private string ReadCredential() =>
        !string.IsNullOrWhiteSpace(options.Credential)
            ? options.Credential.Trim()
            : File.ReadAllText(options.CredentialFile!).Trim();

    private static Metadata Authorization(string token) => new() { { "authorization", "Bearer " + token } };

    private static SinkTaskRef Ref(string sinkId, SinkTask task) => new() { SinkId = sinkId, TaskId = task.TaskId };

    private DateTime Deadline() => DateTime.UtcNow + options.CallTimeout;

    private sealed record Session(string Token, DateTimeOffset RefreshAt);
}
