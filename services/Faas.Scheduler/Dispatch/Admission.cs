using Faas.Scheduler.Queues;

namespace Faas.Scheduler.Dispatch;

/// <summary>
/// What an invocation holds once admitted (<see cref="Dispatcher.AdmitAsync"/>): a unit of its tenant's concurrency quota,
/// a concurrency slot of its function's queue and a slot of its tenant's share. A dispatch holds it for one run; a slot
/// lease (<see cref="Leases.LeaseBroker"/>) for as long as the gateway keeps the lease. Disposing gives all three back.
/// </summary>
public sealed class Admission : IDisposable
{
    private readonly TenantConcurrency.Lease tenant;
    private readonly FunctionQueue.Slot slot;
    private readonly TenantShares.Lease share;
    private int disposed;

    internal Admission(TenantConcurrency.Lease tenant, FunctionQueue.Slot slot, TenantShares.Lease share, TimeSpan waited)
    {
        this.tenant = tenant;
        this.slot = slot;
        this.share = share;
        Waited = waited;
    }

    /// <summary>How long the invocation waited in its function's queue.</summary>
    public TimeSpan Waited { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            share.Dispose();
            slot.Release();
            tenant.Dispose();
        }
    }
}
