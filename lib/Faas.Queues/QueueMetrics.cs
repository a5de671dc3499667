using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Faas.Queues;

/// <summary>
/// The "Faas.Queues" meter. Depth gauges report the counts last read (by the reaper each period, or by
/// <see cref="ReliableQueue.CountAsync"/>), so collecting metrics never waits on Redis.
/// </summary>
internal sealed class QueueMetrics
{
    public const string MeterName = "Faas.Queues";

    private readonly ConcurrentDictionary<string, QueueCounts> depths = new();
    private readonly Counter<long> enqueued;
    private readonly Counter<long> leased;
    private readonly Counter<long> acked;
    private readonly Counter<long> nacked;
    private readonly Counter<long> redelivered;

    public QueueMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        enqueued = meter.CreateCounter<long>("faas.queues.enqueued", description: "Messages added to a queue (duplicates not counted)");
        leased = meter.CreateCounter<long>("faas.queues.leased", description: "Deliveries of messages to consumers");
        acked = meter.CreateCounter<long>("faas.queues.acked", description: "Messages done with for good");
        nacked = meter.CreateCounter<long>("faas.queues.nacked", description: "Messages given back by their consumer for a retry");
        redelivered = meter.CreateCounter<long>("faas.queues.redelivered", description: "Expired leases returned to ready");
        meter.CreateObservableGauge("faas.queues.ready", () => Observe(c => c.Ready), description: "Messages waiting for a consumer");
        meter.CreateObservableGauge("faas.queues.leased_now", () => Observe(c => c.Leased), description: "Messages held by consumers");
        meter.CreateObservableGauge("faas.queues.delayed", () => Observe(c => c.Delayed), description: "Messages waiting for their retry time");
    }

    public void Enqueued(string queue) => enqueued.Add(1, Tag(queue));

    public void Leased(string queue, int count) => leased.Add(count, Tag(queue));

    public void Acked(string queue) => acked.Add(1, Tag(queue));

    public void Nacked(string queue) => nacked.Add(1, Tag(queue));

    public void Redelivered(string queue, long count) => redelivered.Add(count, Tag(queue));

    public void Depth(string queue, QueueCounts counts) => depths[queue] = counts;

    private static KeyValuePair<string, object?> Tag(string queue) => new("queue", queue);

    private IEnumerable<Measurement<long>> Observe(Func<QueueCounts, long> select) =>
        depths.Select(d => new Measurement<long>(select(d.Value), Tag(d.Key)));
}
