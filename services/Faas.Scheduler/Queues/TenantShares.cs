using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Scheduler.Sinks;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Queues;

/// <summary>
/// No tenant takes every execution slot: a tenant runs on at most <see cref="SchedulerOptions.TenantSlotShare"/> of
/// the slots of the online sinks that serve the call's mode at once (at least one), so another tenant's call finds a
/// slot even while one floods the platform with slow calls. The modes are separate pools: the job sink's container
/// slots do not widen a tenant's share of the warm pool, nor warm calls its share of the containers. Beyond its share a tenant's invocations wait here, in arrival order, until one of its own
/// runs ends. Runs cannot be preempted, so the share is held back even while only one tenant is busy; an operator
/// of a single-tenant platform sets the share to 1.
/// </summary>
public sealed class TenantShares
{
    private readonly ConcurrentDictionary<(string Tenant, ExecutionMode Mode), TenantGate> gates = new();
    private readonly Func<ExecutionMode, int> totalSlots;
    private readonly double share;
    private readonly Counter<long>? waits;

    public TenantShares(SinkView sinks, IOptions<SchedulerOptions> options, IMeterFactory meterFactory)
        : this(mode => sinks.Sinks.Where(s => s.IsOnline && s.Serves(mode)).Sum(s => s.Slots), options.Value.TenantSlotShare)
    {
        waits = meterFactory.Create(SchedulerTelemetry.MeterName)
            .CreateCounter<long>("faas.scheduler.tenant_share_waits", description: "Invocations that waited because their tenant ran on its whole share of the slots");
    }

    /// <param name="totalSlots">The slots of the online sinks that serve a mode, read at every decision.</param>
    /// <param name="share">The fraction of them one tenant may use, in (0, 1].</param>
    public TenantShares(Func<ExecutionMode, int> totalSlots, double share)
    {
        this.totalSlots = totalSlots;
        this.share = share;
    }

    /// <summary>The slots one tenant may use now in the mode's pool: its share of the total, at least one; unbounded while no sink is known.</summary>
    public int LimitFor(ExecutionMode mode)
    {
        var total = totalSlots(mode.Normalized());
        return total <= 0 ? int.MaxValue : Math.Max(1, (int)Math.Floor(total * share));
    }

    /// <summary>The tenant's runs in the mode's pool at this moment.</summary>
    public int Running(string tenantId, ExecutionMode mode = ExecutionMode.Warm) =>
        gates.TryGetValue((tenantId, mode.Normalized()), out var gate) ? gate.Running : 0;

    /// <summary>Whether the tenant's next run in the mode's pool would wait for its share (a hint, read without the lock).</summary>
    public bool IsFull(string tenantId, ExecutionMode mode) =>
        gates.TryGetValue((tenantId, mode.Normalized()), out var gate) && (gate.Waiters.Count > 0 || gate.Running >= LimitFor(gate.Mode));

    /// <summary>Takes one of the tenant's slots in the mode's pool, waiting while it uses its whole share there; dispose the lease when the run ends.</summary>
    public ValueTask<Lease> EnterAsync(string tenantId, ExecutionMode mode, CancellationToken cancellationToken)
    {
        var gate = gates.GetOrAdd((tenantId, mode.Normalized()), static key => new TenantGate(key.Mode));
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (gate.Lock)
        {
            if (gate.Waiters.Count == 0 && gate.Running < LimitFor(gate.Mode))
            {
                gate.Running++;
                return ValueTask.FromResult(new Lease(this, gate));
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = gate.Waiters.AddLast(waiter);
        }

        waits?.Add(1);
        return new ValueTask<Lease>(WaitAsync(gate, waiter, node, cancellationToken));
    }

    private async Task<Lease> WaitAsync(TenantGate gate, TaskCompletionSource waiter, LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            lock (gate.Lock)
            {
                if (node.List is not null)
                {
                    gate.Waiters.Remove(node);
                    waiter.TrySetCanceled(cancellationToken);
                }
            }
        }).ConfigureAwait(false))
        {
            await waiter.Task.ConfigureAwait(false);
        }

        return new Lease(this, gate);
    }

    private void Release(TenantGate gate)
    {
        lock (gate.Lock)
        {
            gate.Running--;
            var limit = LimitFor(gate.Mode);
            while (gate.Waiters.First is { } next && gate.Running < limit)
            {
                gate.Waiters.RemoveFirst();
                gate.Running++;
                next.Value.TrySetResult();
            }
        }
    }

    internal sealed class TenantGate(ExecutionMode mode)
    {
        public readonly ExecutionMode Mode = mode;
        public readonly Lock Lock = new();
        public readonly LinkedList<TaskCompletionSource> Waiters = new();
        public int Running;
    }

    /// <summary>One run's hold on its tenant's share.</summary>
    public sealed class Lease : IDisposable
    {
        private TenantShares? owner;
        private readonly TenantGate gate;

        internal Lease(TenantShares owner, TenantGate gate)
        {
            this.owner = owner;
            this.gate = gate;
        }

        public void Dispose() => Interlocked.Exchange(ref owner, null)?.Release(gate);
    }
}
