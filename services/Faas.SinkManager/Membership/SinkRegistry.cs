using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.SinkManager.Tasks;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Membership;

/// <summary>
/// The membership of execution capacity and the hand-off of tasks to sinks that pull. One lock guards both: sinks
/// (state, load, what they hold) and the memory-class queues of waiting tasks. A task goes to the first online sink
/// with an open Pull, a free slot and room for the function's memory that runs the function's runtime; a task a sink
/// does not acknowledge, or does not complete within its lease, or that a sink leaves behind (offline, deregistered,
/// deleted past its drain), goes to the next sink, up to <see cref="SinkManagerOptions.MaxDeliveries"/> deliveries.
/// </summary>
public sealed partial class SinkRegistry
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Sink> sinks = new(StringComparer.Ordinal);

    /// <summary>Sinks that left or were deleted, so their heartbeats learn it (rather than NOT_FOUND), until forgotten.</summary>
    private readonly Dictionary<string, DateTimeOffset> tombstones = new(StringComparer.Ordinal);

    /// <summary>Waiting tasks by runtime, then by memory class (the next power of two of the function's memory).</summary>
    private readonly Dictionary<string, SortedDictionary<long, LinkedList<BrokeredTask>>> pending = new(StringComparer.Ordinal);

    private readonly SinkManagerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<SinkRegistry> logger;
    private readonly Counter<long> delivered;
    private readonly Counter<long> redelivered;
    private readonly Counter<long> wentOffline;
    private readonly Histogram<double> handOff;

    private int pendingCount;
    private long sequence;
    private long version;
    private TaskCompletionSource changed = NewSignal();

    public SinkRegistry(IOptions<SinkManagerOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<SinkRegistry> logger)
    {
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        var meter = meterFactory.Create(SinkManagerTelemetry.MeterName);
        delivered = meter.CreateCounter<long>("faas.sinks.tasks.delivered", description: "Tasks given to sinks that pull");
        redelivered = meter.CreateCounter<long>("faas.sinks.tasks.redelivered", description: "Tasks taken back from a sink and given to another, by reason");
        wentOffline = meter.CreateCounter<long>("faas.sinks.offline", description: "Sinks marked offline after missing their heartbeats");
        handOff = meter.CreateHistogram<double>("faas.sinks.tasks.handoff", unit: "ms", description: "From a task's arrival to its acknowledgement by a sink", advice: LatencyBuckets.Milliseconds);
        meter.CreateObservableGauge("faas.sinks.tasks.pending", () => Volatile.Read(ref pendingCount), description: "Tasks waiting for a sink that pulls");
        meter.CreateObservableGauge("faas.sinks.count", ObserveStates, description: "Sinks by state");
    }

    /// <summary>Bumped on every change of membership, load or held tasks.</summary>
    public long Version => Interlocked.Read(ref version);

    // ---- membership ----------------------------------------------------------------------------------------------

    public RegisterSinkResponse Register(Guid credentialId, RegisterSinkRequest request)
    {
        var now = time.GetUtcNow();
        string? replaced = null;
        Sink sink;
        lock (gate)
        {
            if (sinks.Values.FirstOrDefault(s => s.Name == request.Name) is { } existing)
            {
                if (existing.CredentialId != credentialId)
                {
                    throw new RpcException(new Status(StatusCode.AlreadyExists, $"A sink named '{request.Name}' is registered with another credential."));
                }

                // The same sink started again: it takes its old place, and what the old one held goes elsewhere.
                RemoveLocked(existing, "replaced by a new registration", now);
                replaced = existing.Id;
            }

            sink = new Sink
            {
                Id = Guid.NewGuid().ToString("N"),
                Name = request.Name,
                CredentialId = credentialId,
                Capacity = request.Capacity,
                PushAddress = request.PushAddress,
                Labels = new Dictionary<string, string>(request.Labels),
                RegisteredAt = now,
                LastHeartbeatAt = now,
            };
            sinks[sink.Id] = sink;
            ChangedLocked();
        }

        LogRegistered(logger, sink.Name, sink.Id, sink.Pulls ? "pull" : sink.PushAddress, sink.Slots, sink.Capacity.MemoryMb, string.Join(",", sink.Capacity.Runtimes), replaced ?? "-");
        return new RegisterSinkResponse
        {
            SinkId = sink.Id,
            HeartbeatIntervalMs = (uint)options.HeartbeatInterval.TotalMilliseconds,
            OfflineAfterMs = (uint)options.OfflineAfter.TotalMilliseconds,
        };
    }

    public SinkState Heartbeat(Guid credentialId, string sinkId, SinkLoad? load)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (!sinks.TryGetValue(sinkId, out var sink))
            {
                return tombstones.ContainsKey(sinkId)
                    ? SinkState.SinkDeleted
                    : throw new RpcException(new Status(StatusCode.NotFound, $"The sink manager does not know sink {sinkId} (it restarted, or forgot an offline sink): register again."));
            }

            Authorize(sink, credentialId);
            sink.LastHeartbeatAt = now;
            sink.Load = load ?? new SinkLoad();
            if (sink.State == SinkState.SinkOffline)
            {
                sink.State = SinkState.SinkOnline;
                LogBackOnline(logger, sink.Name, sink.Id);
                PumpLocked(now);
            }

            ChangedLocked();
            return sink.State;
        }
    }

    public void Deregister(Guid credentialId, string sinkId)
    {
        lock (gate)
        {
            var sink = GetLocked(sinkId);
            Authorize(sink, credentialId);
            RemoveLocked(sink, "deregistered", time.GetUtcNow());
        }
    }

    /// <summary>Drains the sink (or removes it at once when it is offline or holds nothing and pushes nothing).</summary>
    public SinkInfo Delete(string sinkId)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var sink = GetLocked(sinkId);
            if (sink.State == SinkState.SinkOffline)
            {
                RemoveLocked(sink, "deleted while offline", now);
                return sink.ToInfo();
            }

            if (sink.State != SinkState.SinkDraining)
            {
                sink.State = SinkState.SinkDraining;
                sink.DrainStartedAt = now;
                LogDraining(logger, sink.Name, sink.Id, sink.Held.Count, sink.Load.InFlight);
                ChangedLocked();
            }

            return sink.ToInfo();
        }
    }

    /// <summary>Removes every sink of a revoked credential at once; what they held goes elsewhere.</summary>
    public void RemoveCredential(Guid credentialId)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            foreach (var sink in sinks.Values.Where(s => s.CredentialId == credentialId).ToList())
            {
                RemoveLocked(sink, "its credential was revoked", now);
            }
        }
    }

    public SinkInfo Get(string sinkId)
    {
        lock (gate)
        {
            return GetLocked(sinkId).ToInfo();
        }
    }

    public IReadOnlyList<SinkInfo> List()
    {
        lock (gate)
        {
            return [.. sinks.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.ToInfo())];
        }
    }

    public SinkMembership Snapshot()
    {
        lock (gate)
        {
            var membership = new SinkMembership();
            membership.Sinks.AddRange(sinks.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.ToInfo()));
            foreach (var (runtime, classes) in pending)
            {
                var count = classes.Values.Sum(q => q.Count);
                if (count > 0)
                {
                    membership.PendingTasks[runtime] = (uint)count;
                }
            }

            return membership;
        }
    }

    /// <summary>Completes when <see cref="Version"/> moves past <paramref name="seen"/>.</summary>
    public Task WaitForChangeAsync(long seen, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return version != seen ? Task.CompletedTask : changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Whether the sink exists and was given a task of the module (the code it may fetch).</summary>
    public bool MayFetch(Guid credentialId, string sinkId, string moduleSha256)
    {
        lock (gate)
        {
            var sink = GetLocked(sinkId);
            Authorize(sink, credentialId);
            return sink.Modules.Contains(moduleSha256);
        }
    }

    // ---- tasks ---------------------------------------------------------------------------------------------------

    /// <summary>Queues a task for the sinks that pull, or refuses it when no online sink could ever run it.</summary>
    internal BrokeredTask Enqueue(RunSinkTaskRequest request, FunctionSpec delivered)
    {
        var runtime = request.Function.RuntimeName();
        var memoryMb = Math.Max(1, (long)request.Function.MemoryMb);
        var mode = request.Function.Mode.Normalized();
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (!sinks.Values.Any(s => s.State == SinkState.SinkOnline))
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
    internal void Abandon(BrokeredTask task)
    {
        lock (gate)
        {
            if (task.Node is not null)
            {
                DequeueLocked(task);
                ChangedLocked();
            }
        }
    }

    /// <summary>A sink's Pull call: tasks are written to <paramref name="connection"/> until the call ends.</summary>
    internal void Connect(Guid credentialId, string sinkId, PullConnection connection)
    {
        lock (gate)
        {
            var sink = GetLocked(sinkId);
            Authorize(sink, credentialId);
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
    internal void Disconnect(string sinkId, PullConnection connection)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            connection.Close();
            if (!sinks.TryGetValue(sinkId, out var sink) || sink.Connection != connection)
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

    internal void Ack(Guid credentialId, string sinkId, string taskId)
    {
        var now = time.GetUtcNow();
        lock (gate)
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

    internal void Complete(Guid credentialId, string sinkId, string taskId, ExecuteResponse result)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var (sink, task) = HeldLocked(credentialId, sinkId, taskId);
            ReleaseHoldLocked(sink, task);
            sink.Completed++;
            task.Result.TrySetResult(result);
            PumpLocked(now);
            ChangedLocked();
        }
    }

    internal void Release(Guid credentialId, string sinkId, string taskId)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            var (sink, task) = HeldLocked(credentialId, sinkId, taskId);
            TakeBackLocked(sink, task, "handed back", countsAsDelivery: false);
            PumpLocked(now);
        }
    }

    // ---- sweep ---------------------------------------------------------------------------------------------------

    /// <summary>Marks silent sinks offline, finishes drains, takes back expired tasks, fails tasks no sink can run.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            foreach (var sink in sinks.Values.ToList())
            {
                var silentFor = now - sink.LastHeartbeatAt;
                switch (sink.State)
                {
                    case SinkState.SinkOnline when silentFor > options.OfflineAfter:
                        sink.State = SinkState.SinkOffline;
                        wentOffline.Add(1);
                        LogOffline(logger, sink.Name, sink.Id, (long)silentFor.TotalMilliseconds, sink.Held.Count);
                        sink.Connection?.Close();
                        sink.Connection = null;
                        foreach (var task in sink.Held.Values.ToList())
                        {
                            TakeBackLocked(sink, task, "sink offline", countsAsDelivery: true);
                        }

                        ChangedLocked();
                        continue;
                    case SinkState.SinkOffline when silentFor > options.ForgetAfter:
                        RemoveLocked(sink, "offline too long", now);
                        continue;
                    case SinkState.SinkDraining when silentFor > options.OfflineAfter:
                        RemoveLocked(sink, "drained (it stopped heartbeating)", now);
                        continue;
                    case SinkState.SinkDraining when now - sink.DrainStartedAt > options.DrainTimeout:
                        RemoveLocked(sink, "drain timed out", now);
                        continue;
                    case SinkState.SinkDraining when sink.Held.Count == 0 && (sink.Pulls || (sink.Load.InFlight == 0 && sink.LastHeartbeatAt > sink.DrainStartedAt + options.HeartbeatInterval)):
                        // A pushed sink is idle once a heartbeat sent well after the drain began says so.
                        RemoveLocked(sink, "drained", now);
                        continue;
                }

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

            foreach (var (id, at) in tombstones.ToList())
            {
                if (now - at > options.ForgetAfter)
                {
                    tombstones.Remove(id);
                }
            }

            FailUnplaceableLocked(now);
            PumpLocked(now);
        }
    }

    // ---- internals (under the lock) ------------------------------------------------------------------------------

    private void FailUnplaceableLocked(DateTimeOffset now)
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
                ChangedLocked();
            }
        }
    }

    /// <summary>Why no online sink that pulls could run such a task; null when one could.</summary>
    private string? Unplaceable(string runtime, ExecutionMode mode, long memoryMb)
    {
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

    /// <summary>Gives waiting tasks to sinks with room, least loaded first, oldest task first.</summary>
    private void PumpLocked(DateTimeOffset now)
    {
        var progress = true;
        while (progress && pendingCount > 0)
        {
            progress = false;
            foreach (var sink in sinks.Values
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

    private BrokeredTask? PickLocked(Sink sink)
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
                if (memoryClass / 2 >= room)
                {
                    break; // every task of this class and above needs more than the room
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

    private bool AnotherSinkCouldTake(BrokeredTask task, Sink except) =>
        sinks.Values.Any(s => s != except && s.State == SinkState.SinkOnline && s.Connection is not null
            && s.CanRun(task.Runtime, task.Request.Function.Mode, task.MemoryMb));

    private void AssignLocked(Sink sink, BrokeredTask task, DateTimeOffset now)
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
        ChangedLocked();
    }

    private SinkTask ToSinkTask(BrokeredTask task) => new()
    {
        TaskId = task.DeliveryId,
        ExecutionId = task.Request.ExecutionId,
        TraceId = task.Request.TraceId,
        Function = task.DeliveredFunction,
        Payload = task.Request.Payload,
        Delivery = (uint)task.Delivery,
        AckBy = Timestamp.FromDateTimeOffset(task.AckBy),
        LeaseMs = (uint)(task.Request.Function.TimeoutMs + options.LeaseGrace.TotalMilliseconds),
    };

    private void TakeBackLocked(Sink sink, BrokeredTask task, string reason, bool countsAsDelivery)
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

    private void ReleaseHoldLocked(Sink sink, BrokeredTask task)
    {
        if (sink.Held.Remove(task.DeliveryId))
        {
            sink.HeldMemoryMb -= task.MemoryMb;
        }

        task.HeldBy = null;
        task.DeliveredOn = null;
        ChangedLocked();
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
        ChangedLocked();
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

    private void RemoveLocked(Sink sink, string reason, DateTimeOffset now)
    {
        sinks.Remove(sink.Id);
        tombstones[sink.Id] = now;
        sink.State = SinkState.SinkDeleted;
        sink.Connection?.Close();
        sink.Connection = null;
        foreach (var task in sink.Held.Values.ToList())
        {
            TakeBackLocked(sink, task, $"sink {reason}", countsAsDelivery: true);
        }

        LogRemoved(logger, sink.Name, sink.Id, reason);
        PumpLocked(now);
        ChangedLocked();
    }

    private Sink GetLocked(string sinkId) =>
        sinks.TryGetValue(sinkId, out var sink)
            ? sink
            : throw new RpcException(new Status(StatusCode.NotFound, tombstones.ContainsKey(sinkId)
                ? $"Sink {sinkId} was deleted."
                : $"There is no sink {sinkId}."));

    private (Sink Sink, BrokeredTask Task) HeldLocked(Guid credentialId, string sinkId, string taskId)
    {
        var sink = GetLocked(sinkId);
        Authorize(sink, credentialId);
        return sink.Held.TryGetValue(taskId, out var task)
            ? (sink, task)
            : throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Task {taskId} is not held by sink {sink.Name}: it was completed, handed back, or went to another sink after its acknowledgement timeout or lease."));
    }

    /// <summary>A sink may only act as itself: a sink of another credential is as good as unknown.</summary>
    private static void Authorize(Sink sink, Guid credentialId)
    {
        if (credentialId != Guid.Empty && sink.CredentialId != credentialId)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"There is no sink {sink.Id} under this credential."));
        }
    }

    private void ChangedLocked()
    {
        Interlocked.Increment(ref version);
        Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();
    }

    private List<Measurement<int>> ObserveStates()
    {
        lock (gate)
        {
            return [.. new[] { SinkState.SinkOnline, SinkState.SinkOffline, SinkState.SinkDraining }.Select(state =>
                new Measurement<int>(sinks.Values.Count(s => s.State == state), new KeyValuePair<string, object?>("state", state.ToString())))];
        }
    }

    /// <summary>The next power of two at or above the memory, at least 64 MiB.</summary>
    internal static long MemoryClass(long memoryMb) => Math.Max(64, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, memoryMb)));

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) registered: {Mode}, {Slots} slots, {MemoryMb} MB, runtimes {Runtimes} (replaces {Replaced})")]
    private static partial void LogRegistered(ILogger logger, string name, string id, string mode, int slots, uint memoryMb, string runtimes, string replaced);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sink {Name} ({Id}) is offline: no heartbeat for {SilentMs} ms; {Held} tasks it held go elsewhere")]
    private static partial void LogOffline(ILogger logger, string name, string id, long silentMs, int held);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) is back online")]
    private static partial void LogBackOnline(ILogger logger, string name, string id);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) is draining: {Held} tasks held, {InFlight} running")]
    private static partial void LogDraining(ILogger logger, string name, string id, int held, uint inFlight);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) removed: {Reason}")]
    private static partial void LogRemoved(ILogger logger, string name, string id, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Execution {ExecutionId} taken back from sink {Sink} ({Reason}) after delivery {Delivery}")]
    private static partial void LogTakenBack(ILogger logger, string executionId, string sink, string reason, int delivery);
}
