namespace Faas.Scheduler.Queues;

/// <summary>Each tenant's concurrent-executions quota, as dispatch takes it (<see cref="TenantConcurrency"/>).</summary>
public interface ITenantConcurrency
{
    /// <summary>Counts one execution of the tenant until the returned lease is disposed; throws <see cref="TenantConcurrencyExceededException"/> over the quota.</summary>
    ValueTask<TenantConcurrency.Lease> EnterAsync(string tenantId, CancellationToken cancellationToken);
}
