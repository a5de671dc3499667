namespace Faas.Gateway.Invocation.Leases;

/// <summary>
/// The leases of one function version a gateway holds with no call on them, and the calls of it waiting for one (each
/// with its acquire at the scheduler). A lease whose call ends goes to the first waiter (whose acquire is then
/// cancelled) before it is kept idle; the most recently used idle lease is taken first, so the rest age out.
/// </summary>
internal sealed class KeyLeases
{
    private readonly Lock gate = new();
    private readonly List<SlotLease> idle = [];
    private readonly LinkedList<LeaseWaiter> waiters = new();

    public int IdleCount { get { lock (gate) { return idle.Count; } } }

    /// <summary>An idle lease, or null after <paramref name="waiter"/> joined the waiters.</summary>
    public SlotLease? TakeOrWait(LeaseWaiter? waiter)
    {
        lock (gate)
        {
            while (idle.Count > 0)
            {
                var lease = idle[^1];
                idle.RemoveAt(idle.Count - 1);
                if (lease.IsValid)
                {
                    return lease;
                }
            }

            if (waiter is not null)
            {
                waiter.Node = waiters.AddLast(waiter);
            }

            return null;
        }
    }

    /// <summary>Hands the lease to the first waiter still waiting; else keeps it idle.</summary>
    public void HandOffOrKeep(SlotLease lease)
    {
        lock (gate)
        {
            while (waiters.First is { } first)
            {
                waiters.RemoveFirst();
                first.Value.Node = null;
                if (first.Value.TryServeLocally(lease))
                {
                    return;
                }
            }

            lease.MarkIdle();
            idle.Add(lease);
        }
    }

    /// <summary>The waiter was answered by the scheduler, or gave up.</summary>
    public void Remove(LeaseWaiter waiter)
    {
        lock (gate)
        {
            if (waiter.Node is { } node)
            {
                waiters.Remove(node);
                waiter.Node = null;
            }
        }
    }

    /// <summary>Takes the valid idle leases idle since before <paramref name="cutoff"/> (to be returned) and drops void ones.</summary>
    public List<SlotLease> TakeIdleSince(long cutoff)
    {
        var taken = new List<SlotLease>();
        lock (gate)
        {
            idle.RemoveAll(lease =>
            {
                if (!lease.IsValid)
                {
                    return true;
                }

                if (lease.IdleSince < cutoff)
                {
                    taken.Add(lease);
                    return true;
                }

                return false;
            });
        }

        return taken;
    }
}

/// <summary>A call waiting for a lease: answered by its acquire at the scheduler, or by a lease of the gateway's own that came free first.</summary>
internal sealed class LeaseWaiter(ulong requestId, LeaseStream stream)
{
    private readonly TaskCompletionSource<SlotLease?> answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ulong RequestId { get; } = requestId;

    public LeaseStream Stream { get; } = stream;

    /// <summary>Its place among the waiters of its function version (null: not waiting there).</summary>
    public LinkedListNode<LeaseWaiter>? Node { get; set; }

    public Task<SlotLease?> Answer => answer.Task;

    /// <summary>Takes a lease of the gateway's own if the scheduler has not answered yet; the acquire is cancelled then.</summary>
    public bool TryServeLocally(SlotLease lease)
    {
        if (!Stream.ForgetAcquire(RequestId))
        {
            return false; // answered already, or gone with its stream
        }

        Stream.CancelAcquire(RequestId);
        answer.TrySetResult(lease);
        return true;
    }

    public void Grant(SlotLease? lease) => answer.TrySetResult(lease);

    public void Fail(Exception error) => answer.TrySetException(error);
}
