using Faas.Protos.V1;
using Faas.ServiceDefaults.Retries;
using Faas.Sinks.Client.Diagnostics;
using Grpc.Core;
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
/// The hosted service composes a <see cref="SinkSession"/> (credentials, registration, heartbeats) and a
/// <see cref="TaskPuller"/> (the Pull stream and the tasks it brings).
/// </summary>
public sealed class SinkAgent : BackgroundService
{
    private readonly SinkClientOptions options;
    private readonly ISinkTaskRunner? runner;
    private readonly IHostApplicationLifetime? lifetime;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly SinkSession session;
    private readonly TaskPuller puller;

    public SinkAgent(
        IOptions<SinkClientOptions> options, ISinkLoad load, IEnumerable<ISinkTaskRunner> runners, ILogger<SinkAgent> logger,
        IHostApplicationLifetime? lifetime = null, TimeProvider? time = null)
    {
        this.options = options.Value;
        runner = runners.LastOrDefault();
        this.logger = logger;
        this.lifetime = lifetime;
        this.time = time ?? TimeProvider.System;
        session = new SinkSession(this.options, load, logger, this.time, stateChanged: RaiseStateChanged, endPullStream: EndPullStream);
        puller = new TaskPuller(session, runner, this.options, logger, this.time);
    }

    /// <summary>Raised when a heartbeat answers a state other than the last one (DRAINING, DELETED, ...).</summary>
    public event EventHandler<SinkStateChangedEventArgs>? StateChanged;

    /// <summary>The registration as last known.</summary>
    public SinkAgentStatus Status => session.Status with { RunningTasks = puller.Running };

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
    public Task<byte[]?> GetArtifactAsync(string moduleSha256, CancellationToken cancellationToken) =>
        session.GetArtifactAsync(moduleSha256, cancellationToken);

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
                    var sinkId = session.SinkId ?? await session.RegisterAsync(stoppingToken).ConfigureAwait(false);
                    if (Pulls && pulling.IsCompleted && !session.Status.Draining)
                    {
                        pulling = puller.PullLoopAsync(stoppingToken);
                    }

                    var state = await session.HeartbeatAsync(sinkId, stoppingToken).ConfigureAwait(false);
                    if (state == SinkState.SinkDeleted)
                    {
                        deleted = true;
                        return;
                    }

                    backoff.Reset();
                    wait = state is null ? TimeSpan.Zero : session.HeartbeatInterval;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    wait = backoff.Next();
                    session.Failed(e, wait);
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
        puller.Dispose();
        session.Dispose();
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

    private void RaiseStateChanged(SinkStateChangedEventArgs args) => StateChanged?.Invoke(this, args);

    private void EndPullStream() => puller.CancelPullStream();

    /// <summary>Stops pulling and waits (bounded) for the tasks the sink runs, then deregisters unless the sink was deleted.</summary>
    private async Task ShutdownAsync(Task pulling, bool deleted)
    {
        await puller.ShutdownAsync(pulling).ConfigureAwait(false);
        if (!deleted)
        {
            await session.DeregisterAsync().ConfigureAwait(false);
        }
    }
}
