using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Faas.Caching;

namespace Faas.Scheduler.Queues;

/// <summary>
/// Each tenant's concurrent-executions quota: executions in this scheduler (waiting for a slot or running), sync and
/// async together. One over it is refused at once with <see cref="TenantConcurrencyExceededException"/>.
/// </summary>
public sealed class TenantConcurrency : ITenantConcurrency
{
    private readonly TenantQuotas quotas;
    private readonly ConcurrentDictionary<Guid, StrongBox<int>> counts = new();
    private readonly Counter<long> rejections;

    public TenantConcurrency(TenantQuotas quotas, IMeterFactory meterFactory)
    {
        this.quotas = quotas;
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        rejections = meter.CreateCounter<long>("faas.scheduler.tenant_rejections", description: "Invocations refused because their tenant was at its concurrency quota");
        meter.CreateObservableGauge("faas.scheduler.tenant_in_flight", () => counts.Select(c =>
            new Measurement<int>(Volatile.Read(ref c.Value.Value), new KeyValuePair<string, object?>("tenant", c.Key.ToString()))),
            description: "Executions of each tenant in the scheduler");
    }

    /// <summary>Counts one execution of the tenant until the returned lease is disposed.</summary>
    public async ValueTask<Lease> EnterAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(tenantId, out var id))
        {
            throw new ArgumentException($"'{tenantId}' is not a tenant id.", nameof(tenantId));
        }

        var limit = (await quotas.GetAsync(id, cancellationToken).ConfigureAwait(false)).MaxConcurrentExecutions;
        var count = counts.GetOrAdd(id, _ => new StrongBox<int>());
        if (Interlocked.Increment(ref count.Value) > limit)
        {
            Interlocked.Decrement(ref count.Value);
            rejections.Add(1, new KeyValuePair<string, object?>("tenant", tenantId));
            throw new TenantConcurrencyExceededException(limit);
        }

        return new Lease(count);
    }

    public readonly struct Lease(StrongBox<int> count) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref count.Value);
    }
}
