using System.Collections.Concurrent;
using Faas.Protos.V1;
using Faas.Queues;
using Faas.Scheduler.Queues;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Options;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Scheduler.WarmPool;

/// <summary>
/// The functions the warm pool looks after: every function whose live version has <c>minWarm</c> above 0 (read from the
/// function store, again on any deploy or delete), and every function called lately (learnt from its calls, with its
/// queue for the demand). A function not called for <see cref="WarmPoolOptions.IdleTimeout"/> is forgotten unless its
/// <c>minWarm</c> keeps it.
/// </summary>
public sealed partial class WarmTargets(
    FunctionStore store, FunctionChangeNotifier notifier, TimeProvider time, IOptions<WarmPoolOptions> options, ILogger<WarmTargets> logger)
{
    private readonly ConcurrentDictionary<string, Called> called = new(StringComparer.Ordinal);
    private volatile IReadOnlyDictionary<string, WarmTarget> stored = new Dictionary<string, WarmTarget>();
    private long storedAt;
    private int changed = 1; // read the store on the first pass

    /// <summary>A call of <paramref name="function"/> through <paramref name="queue"/>: cheap, on the invoke path.</summary>
    public void Observe(string key, FunctionSpec function, FunctionQueue queue)
    {
        if (function.Mode.Normalized() != ExecutionMode.Warm)
        {
            return; // a JOB-mode function runs in a fresh container: nothing to keep loaded
        }

        var now = time.GetTimestamp();
        if (called.TryGetValue(key, out var known) && known.FunctionId == function.FunctionId && known.Target.Version >= function.Version && ReferenceEquals(known.Queue, queue))
        {
            Volatile.Write(ref known.LastCall, now);
            return;
        }

        called[key] = new Called(function.FunctionId, queue, TargetOf(key, function), now);
    }

    /// <summary>Starts following deploys and deletes, which make the next <see cref="RefreshAsync"/> read the store.</summary>
    public Task SubscribeAsync() => notifier.SubscribeAsync((tenantId, name) =>
    {
        called.TryRemove($"{tenantId}/{name}", out _);
        Volatile.Write(ref changed, 1);
    });

    /// <summary>Reads the functions with <c>minWarm</c> again when something changed or the refresh interval passed.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (Interlocked.Exchange(ref changed, 0) == 0 && time.GetElapsedTime(storedAt, now) < options.Value.RefreshInterval)
        {
            return;
        }

        try
        {
            var versions = await store.ListWarmPoolVersionsAsync(options.Value.MaxFunctions, cancellationToken).ConfigureAwait(false);
            stored = versions.Where(v => v.ModuleSha256 is not null).ToDictionary(v => $"{v.TenantId}/{v.FunctionName}", TargetOf, StringComparer.Ordinal);
            storedAt = now;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The last list stands; try again on the next pass.
            Volatile.Write(ref changed, 1);
            LogRefreshFailed(logger, ex.Message);
        }
    }

    /// <summary>What the pool looks after now, with each function's demand; forgets functions called long ago.</summary>
    public IReadOnlyList<WarmTarget> Current()
    {
        var now = time.GetTimestamp();
        var targets = new Dictionary<string, WarmTarget>(stored, StringComparer.Ordinal);
        foreach (var (key, entry) in called)
        {
            var demand = entry.Queue.Waiting + entry.Queue.Running;
            if (demand == 0 && time.GetElapsedTime(Volatile.Read(ref entry.LastCall), now) > options.Value.IdleTimeout)
            {
                called.TryRemove(KeyValuePair.Create(key, entry));
                continue;
            }

            // The newer version wins: the store's after a deploy, a call's when it saw one the store list does not have yet.
            var target = targets.TryGetValue(key, out var fromStore) && fromStore.Version >= entry.Target.Version ? fromStore : entry.Target;
            targets[key] = target with { Demand = demand };
        }

        return [.. targets.Values];
    }

    private static WarmTarget TargetOf(FunctionVersion version) => new(
        $"{version.TenantId}/{version.FunctionName}", (uint)version.Version, version.ModuleSha256!, SinkContract.RuntimeOfLanguage(version.Language),
        Math.Max(1, version.Config.MemoryMb), version.Config.MinWarm, version.Config.MaxWarm, Demand: 0);

    private static WarmTarget TargetOf(string key, FunctionSpec function) => new(
        key, function.Version, function.ModuleSha256, function.RuntimeName(), Math.Max(1, (long)function.MemoryMb), (int)function.MinWarm, (int)function.MaxWarm, Demand: 0);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Could not read the functions to keep warm: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);

    private sealed class Called(string functionId, FunctionQueue queue, WarmTarget target, long lastCall)
    {
        public string FunctionId { get; } = functionId;

        public FunctionQueue Queue { get; } = queue;

        public WarmTarget Target { get; } = target;

        public long LastCall = lastCall;
    }
}
