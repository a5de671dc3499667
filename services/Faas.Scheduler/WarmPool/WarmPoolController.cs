using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Scheduler.Sinks;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.WarmPool;

/// <summary>
/// Runs the warm pool: every <see cref="WarmPoolOptions.Interval"/> it plans (<see cref="WarmPoolPlanner"/>) from the
/// functions it looks after and the sinks' warm modules, then sends the prewarms (at most
/// <see cref="WarmPoolOptions.MaxConcurrentPrewarms"/> at once) and the unloads (one call per sink). A module whose prewarm
/// failed on a sink is not tried there again for <see cref="RetryAfterFailure"/>; a sink that does not answer Prewarm is
/// left to manage its own memory.
/// </summary>
public sealed partial class WarmPoolController : BackgroundService
{
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    private readonly SinkView view;
    private readonly Placement.PlacementPolicy placement;
    private readonly WarmTargets targets;
    private readonly WarmPoolOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<WarmPoolController> logger;
    private readonly ConcurrentDictionary<(string Sink, string Module), byte> prewarming = new();
    private readonly ConcurrentDictionary<(string Sink, string Module), long> failed = new();
    private readonly Counter<long> prewarms;
    private readonly Counter<long> unloads;
    private volatile IReadOnlyList<WarmTarget> lastTargets = [];

    public WarmPoolController(
        SinkView view, Placement.PlacementPolicy placement, WarmTargets targets, IOptions<WarmPoolOptions> options, TimeProvider time,
        IMeterFactory meterFactory, ILogger<WarmPoolController> logger)
    {
        this.view = view;
        this.placement = placement;
        this.targets = targets;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        prewarms = meter.CreateCounter<long>("faas.scheduler.warm_pool.prewarms", description: "Modules loaded on a sink ahead of their calls, by reason (min_warm, demand) and outcome");
        unloads = meter.CreateCounter<long>("faas.scheduler.warm_pool.unloads", description: "Modules unloaded from a sink, by reason (idle, max_warm)");
        meter.CreateObservableGauge("faas.scheduler.warm_pool.warm", MeasureWarm, description: "Sinks with the function's live module loaded");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        try
        {
            await targets.SubscribeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Without the change feed the store is still read every refresh interval.
            LogSubscribeFailed(logger, ex.Message);
        }

        using var timer = new PeriodicTimer(options.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await targets.RefreshAsync(stoppingToken).ConfigureAwait(false);
                if (view.IsReady)
                {
                    RunOnce(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass: plan and send.</summary>
    internal void RunOnce(CancellationToken stoppingToken)
    {
        var current = targets.Current();
        lastTargets = current;
        var now = time.GetTimestamp();
        foreach (var (key, at) in failed)
        {
            if (time.GetElapsedTime(at, now) >= RetryAfterFailure)
            {
                failed.TryRemove(KeyValuePair.Create(key, at));
            }
        }

        var plan = WarmPoolPlanner.Plan(current, view.Sinks, options.IdleTimeout);
        foreach (var action in plan.Where(a => a.Kind == WarmActionKind.Prewarm))
        {
            var key = (action.Sink.Id, action.ModuleSha256);
            if (prewarming.Count >= options.MaxConcurrentPrewarms || failed.ContainsKey(key) || !prewarming.TryAdd(key, 0))
            {
                continue;
            }

            // The plan was made from a moment ago: a call placed since may have put the module on another sink.
            if (!placement.TryClaimForPrewarm(action.Sink, action.ModuleSha256, action.MaxWarm))
            {
                prewarming.TryRemove(key, out _);
                continue;
            }

            _ = PrewarmAsync(action, key, stoppingToken);
        }

        foreach (var bySink in plan.Where(a => a.Kind == WarmActionKind.Unload).GroupBy(a => a.Sink))
        {
            foreach (var action in bySink)
            {
                action.Sink.ForgetWarm(action.ModuleSha256);
                unloads.Add(1, new KeyValuePair<string, object?>("reason", action.Reason));
                LogUnloading(logger, action.ModuleSha256, action.Sink.Name, action.Reason);
            }

            _ = UnloadAsync(bySink.Key, [.. bySink.Select(a => a.ModuleSha256)], stoppingToken);
        }
    }

    private async Task PrewarmAsync(WarmAction action, (string, string) key, CancellationToken stoppingToken)
    {
        var sink = action.Sink;
        var outcome = "loaded";
        try
        {
            using var call = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, sink.Lost);
            var response = await sink.Client!.PrewarmAsync(
                new PrewarmRequest { ModuleSha256 = action.ModuleSha256 }, deadline: DateTime.UtcNow + options.PrewarmTimeout, cancellationToken: call.Token).ConfigureAwait(false);
            outcome = response.Loaded ? "loaded" : "already_warm";
            LogPrewarmed(logger, action.ModuleSha256, sink.Name, action.Reason);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            outcome = "unsupported";
            sink.RefusesWarmPoolControl();
            sink.ForgetWarm(action.ModuleSha256);
            LogWarmControlUnsupported(logger, sink.Name);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            outcome = "failed";
            sink.ForgetWarm(action.ModuleSha256);
            failed[key] = time.GetTimestamp();
            LogPrewarmFailed(logger, action.ModuleSha256, sink.Name, ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message);
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
        }
        finally
        {
            prewarming.TryRemove(key, out _);
            prewarms.Add(1, new KeyValuePair<string, object?>("reason", action.Reason), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private async Task UnloadAsync(Sink sink, string[] modules, CancellationToken stoppingToken)
    {
        try
        {
            var request = new UnloadRequest();
            request.ModuleSha256.Add(modules);
            await sink.Client!.UnloadAsync(request, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: stoppingToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
        {
            sink.RefusesWarmPoolControl();
            LogWarmControlUnsupported(logger, sink.Name);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // The modules stay loaded there; the sink's heartbeats bring them back into the view and a later pass tries again.
            LogUnloadFailed(logger, sink.Name, ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private IEnumerable<Measurement<int>> MeasureWarm()
    {
        var sinks = view.Sinks;
        foreach (var target in lastTargets)
        {
            var warm = sinks.Count(s => s.IsOnline && !s.Pulls && s.IsWarm(target.ModuleSha256));
            yield return new Measurement<int>(warm, new KeyValuePair<string, object?>("function", target.Function));
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Prewarmed module {Module} on sink {Sink} ({Reason})")]
    private static partial void LogPrewarmed(ILogger logger, string module, string sink, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Prewarming module {Module} on sink {Sink} failed: {Reason}")]
    private static partial void LogPrewarmFailed(ILogger logger, string module, string sink, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Unloading module {Module} from sink {Sink} ({Reason})")]
    private static partial void LogUnloading(ILogger logger, string module, string sink, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Unloading modules from sink {Sink} failed: {Reason}")]
    private static partial void LogUnloadFailed(ILogger logger, string sink, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Sink {Sink} does not answer Prewarm/Unload; it manages its own memory")]
    private static partial void LogWarmControlUnsupported(ILogger logger, string sink);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Could not follow deploys and deletes for the warm pool ({Reason}); reading the function store on an interval instead")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}
