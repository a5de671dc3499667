using System.Diagnostics.Metrics;
using Faas.Protos.V1;

namespace Faas.SinkManager.Membership;

/// <summary>
/// One pass over the registry (the <see cref="SinkSweeper"/> runs it periodically): marks silent sinks offline,
/// finishes drains, takes back expired tasks, forgets old tombstones and fails tasks no sink can run. A pass runs
/// under the registry's one lock (see <see cref="SinkRegistryState"/>), all of it at once.
/// </summary>
internal sealed partial class SinkSweep
{
    private readonly SinkRegistryState state;
    private readonly SinkRoster membership;
    private readonly TaskBroker tasks;
    private readonly SinkManagerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Counter<long> wentOffline;

    public SinkSweep(
        SinkRegistryState state, SinkRoster membership, TaskBroker tasks, SinkManagerOptions options, TimeProvider time, Meter meter, ILogger logger)
    {
        this.state = state;
        this.membership = membership;
        this.tasks = tasks;
        this.options = options;
        this.time = time;
        this.logger = logger;
        wentOffline = meter.CreateCounter<long>("faas.sinks.offline", description: "Sinks marked offline after missing their heartbeats");
    }

    /// <summary>Marks silent sinks offline, finishes drains, takes back expired tasks, fails tasks no sink can run.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            foreach (var sink in state.Sinks.Values.ToList())
            {
                if (!AdvanceStateLocked(sink, now))
                {
                    tasks.TakeBackExpiredLocked(sink, now);
                }
            }

            ForgetTombstonesLocked(now);
            tasks.FailUnplaceableLocked(now);
            tasks.PumpLocked(now);
        }
    }

    /// <summary>
    /// Moves the sink on by its silence and its drain: offline, or removed. True when it did (what it held went
    /// elsewhere then); false when it stays as it is.
    /// </summary>
    private bool AdvanceStateLocked(SinkMember sink, DateTimeOffset now)
    {
        var silentFor = now - sink.LastHeartbeatAt;
        switch (sink.State)
        {
            case SinkState.SinkOnline when silentFor > options.OfflineAfter:
                MarkOfflineLocked(sink, silentFor);
                return true;
            case SinkState.SinkOffline when silentFor > options.ForgetAfter:
                membership.RemoveLocked(sink, "offline too long", now);
                return true;
            case SinkState.SinkDraining when silentFor > options.OfflineAfter:
                membership.RemoveLocked(sink, "drained (it stopped heartbeating)", now);
                return true;
            case SinkState.SinkDraining when now - sink.DrainStartedAt > options.DrainTimeout:
                membership.RemoveLocked(sink, "drain timed out", now);
                return true;
            case SinkState.SinkDraining when sink.Held.Count == 0 && (sink.Pulls || (sink.Load.InFlight == 0 && sink.LastHeartbeatAt > sink.DrainStartedAt + options.HeartbeatInterval)):
                // A pushed sink is idle once a heartbeat sent well after the drain began says so.
                membership.RemoveLocked(sink, "drained", now);
                return true;
            default:
                return false;
        }
    }

    private void MarkOfflineLocked(SinkMember sink, TimeSpan silentFor)
    {
        sink.State = SinkState.SinkOffline;
        wentOffline.Add(1);
        LogOffline(logger, sink.Name, sink.Id, (long)silentFor.TotalMilliseconds, sink.Held.Count);
        sink.Connection?.Close();
        sink.Connection = null;
        tasks.TakeBackAllLocked(sink, "sink offline");
        state.ChangedLocked();
    }

    private void ForgetTombstonesLocked(DateTimeOffset now)
    {
        foreach (var (id, at) in state.Tombstones.ToList())
        {
            if (now - at > options.ForgetAfter)
            {
                state.Tombstones.Remove(id);
            }
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sink {Name} ({Id}) is offline: no heartbeat for {SilentMs} ms; {Held} tasks it held go elsewhere")]
    private static partial void LogOffline(ILogger logger, string name, string id, long silentMs, int held);
}
