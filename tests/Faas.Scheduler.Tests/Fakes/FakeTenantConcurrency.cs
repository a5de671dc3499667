using System.Runtime.CompilerServices;
using Faas.Scheduler.Queues;

namespace Faas.Scheduler.Tests.Fakes;

/// <summary>A tenant quota with no store behind it: every tenant shares <see cref="Limit"/>, and the leases held are counted.</summary>
internal sealed class FakeTenantConcurrency : ITenantConcurrency
{
    private readonly StrongBox<int> held = new();

    /// <summary>Executions allowed at once; unlimited when null.</summary>
    public int? Limit { get; set; }

    /// <summary>Leases taken and not yet disposed.</summary>
    public int Held => Volatile.Read(ref held.Value);

    public ValueTask<TenantConcurrency.Lease> EnterAsync(string tenantId, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref held.Value) > (Limit ?? int.MaxValue))
        {
            Interlocked.Decrement(ref held.Value);
            throw new TenantConcurrencyExceededException(Limit!.Value);
        }

        return ValueTask.FromResult(new TenantConcurrency.Lease(held));
    }
}
