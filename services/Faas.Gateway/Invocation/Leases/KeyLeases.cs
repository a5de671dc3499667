namespace Faas.Gateway.Invocation.Leases;

/// <summary>
/// One function version at one gateway: its idle leases, the calls waiting for a lease, and the acquires outstanding
/// at the scheduler for them. An acquire is not tied to the call that sent it: whatever comes first, a lease of the
/// gateway's own whose call ended or a grant, serves the call that has waited longest. Every waiting call is covered by
/// an outstanding acquire (the scheduler counts them in the function's queue), and a saturated function costs the
/// scheduler nothing per call: the waiting acquires stay queued while the gateway's leases pass from call to call.
/// </summary>
internal sealed class KeyLeases
{
    private readonly Lock gate = new();
    private readonly List<SlotLease> idle = [];
    private readonly LinkedList<LeaseWaiter> waiters = new();
    private readonly List<(LeaseStream Stream, ulong RequestId)> outstanding = [];

    public int IdleCount { get { lock (gate) { return idle.Count; } } }

    /// <summary>Nothing idle, waiting or outstanding: the version has not been called for a while.</summary>
    public bool IsEmpty { get { lock (gate) { return idle.Count == 0 && waiters.Count == 0 && outstanding.Count == 0; } } }

    /// <summary>
    /// An idle lease; or null after a new <paramref name="waiter"/> joined the waiters, with whether an acquire must be
    /// sent to cover it. The waiter is made only when the call has to wait.
    /// </summary>
    public SlotLease? TakeOrWait(out LeaseWaiter? waiter, out bool acquire)
    {
        lock (gate)
        {
            while (idle.Count > 0)
            {
                var lease = idle[^1];
                idle.RemoveAt(idle.Count - 1);
                if (lease.IsValid)
                {
                    waiter = null;
                    acquire = false;
                    return lease;
                }
            }

            waiter = new LeaseWaiter();
            waiter.Node = waiters.AddLast(waiter);
            acquire = outstanding.Count < waiters.Count;
            return null;
        }
    }

    public void AddOutstanding(LeaseStream stream, ulong requestId)
    {
        lock (gate)
        {
            outstanding.Add((stream, requestId));
        }
    }

    /// <summary>A call on the lease ended: the longest waiting call takes it, or it waits idle.</summary>
    public void HandOffOrKeep(SlotLease lease)
    {
        LeaseWaiter? next;
        lock (gate)
        {
            next = TakeFirstLocked();
            if (next is null)
            {
                lease.MarkIdle();
                idle.Add(lease);
                return;
            }
        }

        next.Serve(lease);
    }

    /// <summary>
    /// The scheduler granted an outstanding acquire: the longest waiting call takes the lease; with none, it waits idle,
    /// or is handed back (false) when the scheduler is calling such leases back.
    /// </summary>
    public bool Granted(LeaseStream stream, ulong requestId, SlotLease lease, bool reclaiming)
    {
        LeaseWaiter? next;
        lock (gate)
        {
            outstanding.Remove((stream, requestId));
            next = TakeFirstLocked();
            if (next is null)
            {
                if (reclaiming)
                {
                    return false;
                }

                lease.MarkIdle();
                idle.Add(lease);
                return true;
            }
        }

        next.Serve(lease);
        return true;
    }

    /// <summary>
    /// The scheduler refused an outstanding acquire (or its stream ended): the call that came last hears it (null: it
    /// goes through Dispatch).
    /// </summary>
    public void Refused(LeaseStream stream, ulong requestId, Exception? error)
    {
        LeaseWaiter? last;
        lock (gate)
        {
            outstanding.Remove((stream, requestId));
            last = waiters.Last?.Value;
            if (last is not null)
            {
                waiters.RemoveLast();
                last.Node = null;
            }
        }

        if (error is null)
        {
            last?.Serve(null);
        }
        else
        {
            last?.Fail(error);
        }
    }

    /// <summary>The call gave up waiting; false when it was answered already.</summary>
    public bool Remove(LeaseWaiter waiter)
    {
        lock (gate)
        {
            if (waiter.Node is not { } node)
            {
                return false;
            }

            waiters.Remove(node);
            waiter.Node = null;
            return true;
        }
    }

    /// <summary>The outstanding acquires beyond the waiting calls (newest first), no longer counted: to be cancelled.</summary>
    public List<(LeaseStream Stream, ulong RequestId)> TakeExcess()
    {
        lock (gate)
        {
            var excess = Math.Max(0, outstanding.Count - waiters.Count);
            var taken = outstanding.GetRange(outstanding.Count - excess, excess);
            outstanding.RemoveRange(outstanding.Count - excess, excess);
            taken.Reverse();
            return taken;
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

    private LeaseWaiter? TakeFirstLocked()
    {
        if (waiters.First is not { } first)
        {
            return null;
        }

        waiters.RemoveFirst();
        first.Value.Node = null;
        return first.Value;
    }
}

/// <summary>A call waiting for a lease.</summary>
internal sealed class LeaseWaiter
{
    private readonly TaskCompletionSource<SlotLease?> answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Its place among the waiting calls of its function version (null: not waiting there).</summary>
    public LinkedListNode<LeaseWaiter>? Node { get; set; }

    /// <summary>The lease, or null: the call goes through Dispatch.</summary>
    public Task<SlotLease?> Answer => answer.Task;

    public void Serve(SlotLease? lease) => answer.TrySetResult(lease);

    public void Fail(Exception error) => answer.TrySetException(error);
}
