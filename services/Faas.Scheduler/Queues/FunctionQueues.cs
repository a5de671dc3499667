using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Faas.Scheduler.Queues;

/// <summary>All per-function queues, created on first use and resized when a function's limits change.</summary>
public sealed class FunctionQueues
{
    private readonly ConcurrentDictionary<string, FunctionQueue> queues = new();

    public FunctionQueues(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        meter.CreateObservableGauge("faas.scheduler.queue.depth", () => Measure(q => q.Waiting), description: "Invocations waiting per function");
        meter.CreateObservableGauge("faas.scheduler.in_flight", () => Measure(q => q.Running), description: "Invocations running per function");
    }

    public FunctionQueue Get(string function, int maxConcurrency, int capacity)
    {
        var queue = queues.GetOrAdd(function, static (key, limits) => new FunctionQueue(key, limits.maxConcurrency, limits.capacity), (maxConcurrency, capacity));
        queue.UpdateLimits(maxConcurrency, capacity);
        return queue;
    }

    private IEnumerable<Measurement<int>> Measure(Func<FunctionQueue, int> value) =>
        queues.Values.Select(q => new Measurement<int>(value(q), new KeyValuePair<string, object?>("function", q.Key)));
}
