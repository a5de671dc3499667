using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Tracing;
using Faas.SinkManager.Tasks;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Faas.SinkManager.Membership;

/// <summary>
/// The hand-off of tasks to sinks that pull: the memory-class queues of waiting tasks, the deliveries to sinks and
/// their acknowledgements, completions and hand-backs. A task goes to the first online sink with an open Pull, a free
/// slot and room for the function's memory that runs the function's runtime; a task taken back goes to the next sink,
/// up to <see cref="SinkManagerOptions.MaxDeliveries"/> deliveries. Works under the registry's one lock (see
/// <see cref="SinkRegistryState"/>): its operations take it, its <c>Locked</c> methods expect it held.
/// </summary>
internal sealed partial class TaskBroker
{
    private readonly SinkRegistryState state;

    /// <summary>Waiting tasks by runtime, then by memory class (the next power of two of the function's memory).</summary>
    private readonly Dictionary<string, SortedDictionary<long, LinkedList<BrokeredTask>>> pending = new(StringComparer.Ordinal);

    private readonly SinkManagerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Counter<long> delivered;
    private readonly Counter<long> redelivered;
    private readonly Histogram<double> handOff;

    private int pendingCount;
    private long sequence;

    public TaskBroker(SinkRegistryState state, SinkManagerOptions options, TimeProvider time, Meter meter, ILogger logger)
    {
        this.state = state;
        this.options = options;
        this.time = time;
        this.logger = logger;
        delivered = meter.CreateCounter<long>("faas.sinks.tasks.delivered", description: "Tasks given to sinks that pull");
        redelivered = meter.CreateCounter<long>("faas.sinks.tasks.redelivered", description: "Tasks taken back from a sink and given to another, by reason");
        handOff = meter.CreateHistogram<double>("faas.sinks.tasks.handoff", unit: "ms", description: "From a task's arrival to its acknowledgement by a sink", advice: LatencyBuckets.Milliseconds);
        meter.CreateObservableGauge("faas.sinks.tasks.pending", () => Volatile.Read(ref pendingCount), description: "Tasks waiting for a sink that pulls");
    }

    // ---- operations (each takes the lock) ---------------------------------------------------------------------------

    /// <summary>Queues a task for the sinks that pull, or refuses it when no online sink could ever run it.</summary>
    public BrokeredTask Enqueue(RunSinkTaskRequest request, FunctionSpec delivered)
    {
        var runtime = request.Function.RuntimeName();
        var memoryMb = Math.Max(1, (long)request.Function.MemoryMb);
        var mode = request.Function.Mode.Normalized();
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            if (!state.Sinks.Values.Any(s => s.State == SinkState.SinkOnline))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "No sink is online."), new Metadata { { SinkContract.NoSinkTrailer, "1" } });
            }

            if (Unplaceable(runtime, mode, memoryMb) is { } reason)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, reason));
            }

            if (pendingCount >= options.MaxPendingTasks)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"{pendingCount} tasks are waiting for sinks that pull (the limit, SinkManager:MaxPendingTasks); try again shortly."));
            }

            var task = new BrokeredTask
            {
                Id = Guid.NewGuid().ToString("N"),
                Request = request,
                DeliveredFunction = delivered,
                Runtime = runtime,
                MemoryMb = memoryMb,
                Sequence = ++sequence,
                EnqueuedAt = now,
            };
            QueueLocked(task, front: false);
            PumpLocked(now);
            return task;
        }
    }

    /// <summary>The caller stopped waiting: a waiting task leaves its queue; a held one runs on, its result dropped.</summary>
    public void Abandon(BrokeredTask task)
    {
        lock (state.Gate)
        {
            if (task.Node is not null)
            {
                DequeueLocked(task);
                state.ChangedLocked();
            }
        }
    }

    /// <summary>A sink's Pull call: tasks are written to <paramref name="connection"/> until the call ends.</summary>
    public void Connect(Guid credentialId, string sinkId, PullConnection connection)
    {
        lock (state.Gate)
        {
            var sink = state.GetAuthorizedLocked(credentialId, sinkId);
            if (!sink.Pulls)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Sink {sink.Name} registered a push address; the scheduler calls it, it does not pull."));
            }

            // One Pull per sink: a new call replaces the old one, whose undelivered tasks go to the new one.
            sink.Connection?.Close();
            sink.Connection = connection;
            foreach (var task in sink.Held.Values.Where(t => !t.Acked).ToList())
            {
                task.DeliveredOn = connection;
                connection.Write(ToSinkTask(task));
            }

            PumpLocked(time.GetUtcNow());
        }
    }

    /// <summary>The Pull call ended: tasks it carried that were not acknowledged go elsewhere now.</summary>
    public void Disconnect(string sinkId, PullConnection connection)
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            connection.Close();
            if (!state.Sinks.TryGetValue(sinkId, out var sink) || sink.Connection != connection)
            {
                return;
            }

            sink.Connection = null;
            foreach (var task in sink.Held.Values.Where(t => !t.Acked && t.DeliveredOn == connection).ToList())
            {
                TakeBackLocked(sink, task, "disconnected before acknowledging", countsAsDelivery: true);
            }

            PumpLocked(now);
        }
    }

    public void Ack(Guid credentialId, string sinkId, string taskId)
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            var (_, task) = HeldLocked(credentialId, sinkId, taskId);
            if (!task.Acked)
            {
                task.Acked = true;
                task.LeaseUntil = now + TimeSpan.FromMilliseconds(task.Request.Function.TimeoutMs) + options.LeaseGrace;
                handOff.Record((now - task.EnqueuedAt).TotalMilliseconds);
            }
        }
    }

    public void Complete(Guid credentialId, string sinkId, string taskId, ExecuteResponse result)
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            var (sink, task) = HeldLocked(credentialId, sinkId, taskId);
            ReleaseHoldLocked(sink, task);
            sink.Completed++;
            task.Result.TrySetResult(result);
            PumpLocked(now);
            state.ChangedLocked();
        }
    }

    public void Release(Guid credentialId, string sinkId, string taskId)
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            var (sink, task) = HeldLocked(credentialId, sinkId, taskId);
            TakeBackLocked(sink, task, "handed back", countsAsDelivery: false);
            PumpLocked(now);
        }
    }

    // ---- for membership and sweep (under the lock) ------------------------------------------------------------------

    /// <summary>Gives waiting tasks to sinks with room, least loaded first, oldest task first.</summary>
    public void PumpLocked(DateTimeOffset now)
    {
        var progress = true;
        while (progress && pendingCount > 0)
        {
            progress = false;
            foreach (var sink in state.Sinks.Values
                .Where(s => s.State == SinkState.SinkOnline && s.Connection is not null && s.Held.Count < s.Slots)
                .OrderBy(s => (double)s.Held.Count / s.Slots))
            {
                if (PickLocked(sink) is { } task)
                {
                    AssignLocked(sink, task, now);
                    progress = true;
                }
            }
        }
    }

    /// <summary>Every task the sink holds goes elsewhere (the sink left, or went offline); each counts as a delivery.</summary>
    public void TakeBackAllLocked(SinkMember sink, string reason)
    {
        foreach (var task in sink.Held.Values.ToList())
        {
            TakeBackLocked(sink, task, reason, countsAsDelivery: true);
        }
    }

    /// <summary>Tasks the sink did not acknowledge in time, or whose lease expired, go elsewhere.</summary>
    public void TakeBackExpiredLocked(SinkMember sink, DateTimeOffset now)
    {
        foreach (var task in sink.Held.Values.ToList())
        {
            if (!task.Acked && now > task.AckBy)
            {
                TakeBackLocked(sink, task, "not acknowledged in time", countsAsDelivery: true);
            }
            else if (task.Acked && now > task.LeaseUntil)
            {
                TakeBackLocked(sink, task, "lease expired", countsAsDelivery: true);
            }
        }
    }

    /// <summary>Fails waiting tasks no online sink that pulls has been able to run for <see cref="SinkManagerOptions.UnplaceableAfter"/>.</summary>
    public void FailUnplaceableLocked(DateTimeOffset now)
    {
        if (pendingCount == 0)
        {
            return;
        }

        var verdicts = new Dictionary<(string, ExecutionMode, long), string?>();
        foreach (var task in pending.Values.SelectMany(c => c.Values).SelectMany(q => q).ToList())
        {
            var key = (task.Runtime, task.Request.Function.Mode.Normalized(), task.MemoryMb);
            if (!verdicts.TryGetValue(key, out var reason))
            {
                verdicts[key] = reason = Unplaceable(key.Runtime, key.Item2, key.MemoryMb);
            }

            if (reason is null)
            {
                task.UnplaceableSince = null;
            }
            else if (task.UnplaceableSince is not { } since)
            {
                task.UnplaceableSince = now;
            }
            else if (now - since >= options.UnplaceableAfter)
            {
                DequeueLocked(task);
                task.Result.TrySetException(new RpcException(new Status(StatusCode.FailedPrecondition, reason)));
                state.ChangedLocked();
            }
        }
    }

    /// <summary>How many tasks wait, by runtime (runtimes with none left out); read it while holding the lock.</summary>
    public IEnumerable<(string Runtime, int Count)> PendingByRuntimeLocked()
    {
        foreach (var (runtime, classes) in pending)
        {
            var count = classes.Values.Sum(q => q.Count);
            if (count > 0)
            {
                yield return (runtime, count);
            }
        }
    }

    /// <summary>The next power of two at or above the memory, at least 64 MiB.</summary>
    internal static long MemoryClass(long memoryMb) => Math.Max(64, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, memoryMb)));

    // ---- internals (under the lock) ---------------------------------------------------------------------------------

    /// <summary>Why no online sink that pulls could run such a task; null when one could.</summary>
    private string? Unplaceable(string runtime, ExecutionMode mode, long memoryMb)
    {
        var sinks = state.Sinks;
        if (sinks.Values.Any(s => s.Pulls && s.State == SinkState.SinkOnline && s.CanRun(runtime, mode, memoryMb)))
        {
            return null;
        }

        var online = sinks.Values.Where(s => s.State == SinkState.SinkOnline).ToList();
        if (online.Any(s => s.CanRun(runtime, mode, memoryMb)))
        {
            return $"Only sinks that take pushed work run '{runtime}' functions of {memoryMb} MB, and none of them could take this one.";
        }

        var withRuntime = online.Where(s => s.Capacity.Runtimes.Contains(runtime)).ToList();
        if (withRuntime.Count == 0)
        {
            return $"No online sink runs the '{runtime}' runtime.";
        }

        var largest = withRuntime.Max(s => s.MaxFunctionMemoryMb);
        return memoryMb > largest
            ? $"No online sink has room for a function of {memoryMb} MB: the largest that runs '{runtime}' takes {largest} MB."
            : $"No online sink runs '{runtime}' functions in {mode} mode.";
    }

    private BrokeredTask? PickLocked(SinkMember sink)
    {
        var room = Math.Min(sink.Capacity.MemoryMb - sink.HeldMemoryMb, sink.MaxFunctionMemoryMb);
        BrokeredTask? oldest = null;
        foreach (var runtime in sink.Capacity.Runtimes)
        {
            if (!pending.TryGetValue(runtime, out var classes))
            {
                continue;
            }

            foreach (var (memoryClass, queue) in classes)
            {
                if (memoryClass > MemoryClass(1) && memoryClass / 2 >= room)
                {
                    break; // every task of this class (above half of it) and above needs more than the room
                }

                if (queue.First?.Value is { } head && head.MemoryMb <= room
                    && sink.CanRun(runtime, head.Request.Function.Mode, head.MemoryMb)
                    && (oldest is null || head.Sequence < oldest.Sequence)
                    && (head.LastSinkId != sink.Id || !AnotherSinkCouldTake(head, sink)))
                {
                    oldest = head;
                }
            }
        }

        return oldest;
    }

    private bool AnotherSinkCouldTake(BrokeredTask task, SinkMember except) =>
        state.Sinks.Values.Any(s => s != except && s.State == SinkState.SinkOnline && s.Connection is not null
            && s.CanRun(task.Runtime, task.Request.Function.Mode, task.MemoryMb));

    private void AssignLocked(SinkMember sink, BrokeredTask task, DateTimeOffset now)
    {
        DequeueLocked(task);
        task.HeldBy = sink;
        task.DeliveryId = Guid.NewGuid().ToString("N");
        task.LastSinkId = sink.Id;
        task.Delivery++;
        task.Acked = false;
        task.AckBy = now + options.AckTimeout;
        task.DeliveredOn = sink.Connection;
        sink.Held[task.DeliveryId] = task;
        sink.HeldMemoryMb += task.MemoryMb;
        sink.Modules.Add(task.Request.Function.ModuleSha256);
        sink.Connection!.Write(ToSinkTask(task));
        delivered.Add(1);
        state.ChangedLocked();
    }

    private SinkTask ToSinkTask(BrokeredTask task) => new()
    {
        TaskId = task.DeliveryId,
        ExecutionId = task.Request.ExecutionId,
        TraceId = TraceContext.TraceIdOf(task.Request.Traceparent),
        Traceparent = task.Request.Traceparent,
        Function = task.DeliveredFunction,
        Payload = task.Request.Payload,
        Delivery = (uint)task.Delivery,
        AckBy = Timestamp.FromDateTimeOffset(task.AckBy),
        LeaseMs = (uint)(task.Request.Function.TimeoutMs + options.LeaseGrace.TotalMilliseconds),
    };

    private void TakeBackLocked(SinkMember sink, BrokeredTask task, string reason, bool countsAsDelivery)
    {
        ReleaseHoldLocked(sink, task);
        if (task.Abandoned)
        {
            return;
        }

        if (!countsAsDelivery)
        {
            task.Delivery--;
        }
        else
        {
            redelivered.Add(1, new KeyValuePair<string, object?>("reason", reason));
            LogTakenBack(logger, task.Request.ExecutionId, sink.Name, reason, task.Delivery);
            if (task.Delivery >= options.MaxDeliveries)
            {
                task.Result.TrySetException(new RpcException(new Status(StatusCode.Unavailable,
                    $"The task was delivered {task.Delivery} times and no sink completed it (last: {sink.Name}, {reason}).")));
                return;
            }
        }

        QueueLocked(task, front: true);
    }

    private void ReleaseHoldLocked(SinkMember sink, BrokeredTask task)
    {
        if (sink.Held.Remove(task.DeliveryId))
        {
            sink.HeldMemoryMb -= task.MemoryMb;
        }

        task.HeldBy = null;
        task.DeliveredOn = null;
        state.ChangedLocked();
    }

    private void QueueLocked(BrokeredTask task, bool front)
    {
        if (!pending.TryGetValue(task.Runtime, out var classes))
        {
            pending[task.Runtime] = classes = new SortedDictionary<long, LinkedList<BrokeredTask>>();
        }

        var memoryClass = MemoryClass(task.MemoryMb);
        if (!classes.TryGetValue(memoryClass, out var queue))
        {
            classes[memoryClass] = queue = new LinkedList<BrokeredTask>();
        }

        task.Node = front ? queue.AddFirst(task) : queue.AddLast(task);
        pendingCount++;
        state.ChangedLocked();
    }

    private void DequeueLocked(BrokeredTask task)
    {
        if (task.Node is { List: { } queue } node)
        {
            queue.Remove(node);
            pendingCount--;
        }

        task.Node = null;
    }

    private (SinkMember Sink, BrokeredTask Task) HeldLocked(Guid credentialId, string sinkId, string taskId)
    {
        var sink = state.GetAuthorizedLocked(credentialId, sinkId);
        return sink.Held.TryGetValue(taskId, out var task)
            ? (sink, task)
            : throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Task {taskId} is not held by sink {sink.Name}: it was completed, handed back, or went to another sink after its acknowledgement timeout or lease."));
    }

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Execution {ExecutionId} taken back from sink {Sink} ({Reason}) after delivery {Delivery}")]
    private static partial void LogTakenBack(ILogger logger, string executionId, string sink, string reason, int delivery);
}
