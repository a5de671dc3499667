using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.SinkManager.Membership;

/// <summary>
/// The membership of execution capacity: sinks register, heartbeat their load, drain, deregister or are removed
/// (what a leaving sink held goes back to the <see cref="TaskBroker"/>). Works under the registry's one lock (see
/// <see cref="SinkRegistryState"/>): its operations take it, its <c>Locked</c> methods expect it held.
/// </summary>
internal sealed partial class SinkRoster
{
    private static readonly SinkState[] ObservedStates = [SinkState.SinkOnline, SinkState.SinkOffline, SinkState.SinkDraining];

    private readonly SinkRegistryState state;
    private readonly TaskBroker tasks;
    private readonly SinkManagerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    public SinkRoster(SinkRegistryState state, TaskBroker tasks, SinkManagerOptions options, TimeProvider time, Meter meter, ILogger logger)
    {
        this.state = state;
        this.tasks = tasks;
        this.options = options;
        this.time = time;
        this.logger = logger;
        meter.CreateObservableGauge("faas.sinks.count", ObserveStates, description: "Sinks by state");
    }

    // ---- operations (each takes the lock) ---------------------------------------------------------------------------

    public RegisterSinkResponse Register(Guid credentialId, RegisterSinkRequest request)
    {
        var now = time.GetUtcNow();
        string? replaced = null;
        SinkMember sink;
        lock (state.Gate)
        {
            if (state.Sinks.Values.FirstOrDefault(s => s.Name == request.Name) is { } existing)
            {
                if (existing.CredentialId != credentialId)
                {
                    throw new RpcException(new Status(StatusCode.AlreadyExists, $"A sink named '{request.Name}' is registered with another credential."));
                }

                // The same sink started again: it takes its old place, and what the old one held goes elsewhere.
                RemoveLocked(existing, "replaced by a new registration", now);
                replaced = existing.Id;
            }

            sink = NewSink(credentialId, request, now);
            state.Sinks[sink.Id] = sink;
            state.ChangedLocked();
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
        lock (state.Gate)
        {
            if (!state.Sinks.TryGetValue(sinkId, out var sink))
            {
                return state.Tombstones.ContainsKey(sinkId)
                    ? SinkState.SinkDeleted
                    : throw new RpcException(new Status(StatusCode.NotFound, $"The sink manager does not know sink {sinkId} (it restarted, or forgot an offline sink): register again."));
            }

            SinkRegistryState.Authorize(sink, credentialId);
            sink.LastHeartbeatAt = now;
            sink.Load = load ?? new SinkLoad();
            if (sink.State == SinkState.SinkOffline)
            {
                sink.State = SinkState.SinkOnline;
                LogBackOnline(logger, sink.Name, sink.Id);
                tasks.PumpLocked(now);
            }

            state.ChangedLocked();
            return sink.State;
        }
    }

    public void Deregister(Guid credentialId, string sinkId)
    {
        lock (state.Gate)
        {
            var sink = state.GetAuthorizedLocked(credentialId, sinkId);
            RemoveLocked(sink, "deregistered", time.GetUtcNow());
        }
    }

    /// <summary>Drains the sink (or removes it at once when it is offline or holds nothing and pushes nothing).</summary>
    public SinkInfo Delete(string sinkId)
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            var sink = state.GetLocked(sinkId);
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
                state.ChangedLocked();
            }

            return sink.ToInfo();
        }
    }

    /// <summary>Removes every sink of a revoked credential at once; what they held goes elsewhere.</summary>
    public void RemoveCredential(Guid credentialId)
    {
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            foreach (var sink in state.Sinks.Values.Where(s => s.CredentialId == credentialId).ToList())
            {
                RemoveLocked(sink, "its credential was revoked", now);
            }
        }
    }

    public SinkInfo Get(string sinkId)
    {
        lock (state.Gate)
        {
            return state.GetLocked(sinkId).ToInfo();
        }
    }

    public IReadOnlyList<SinkInfo> List()
    {
        lock (state.Gate)
        {
            return [.. state.Sinks.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.ToInfo())];
        }
    }

    public SinkMembership Snapshot()
    {
        lock (state.Gate)
        {
            var membership = new SinkMembership();
            membership.Sinks.AddRange(state.Sinks.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.ToInfo()));
            foreach (var (runtime, count) in tasks.PendingByRuntimeLocked())
            {
                membership.PendingTasks[runtime] = (uint)count;
            }

            return membership;
        }
    }

    /// <summary>Whether the sink exists and was given a task of the module (the code it may fetch).</summary>
    public bool MayFetch(Guid credentialId, string sinkId, string moduleSha256)
    {
        lock (state.Gate)
        {
            return state.GetAuthorizedLocked(credentialId, sinkId).Modules.Contains(moduleSha256);
        }
    }

    // ---- under the lock (the sweep removes sinks too) ---------------------------------------------------------------

    /// <summary>The sink leaves (a tombstone remembers it); what it held goes elsewhere.</summary>
    public void RemoveLocked(SinkMember sink, string reason, DateTimeOffset now)
    {
        state.Sinks.Remove(sink.Id);
        state.Tombstones[sink.Id] = now;
        sink.State = SinkState.SinkDeleted;
        sink.Connection?.Close();
        sink.Connection = null;
        tasks.TakeBackAllLocked(sink, $"sink {reason}");
        LogRemoved(logger, sink.Name, sink.Id, reason);
        tasks.PumpLocked(now);
        state.ChangedLocked();
    }

    // ---- internals --------------------------------------------------------------------------------------------------

    private static SinkMember NewSink(Guid credentialId, RegisterSinkRequest request, DateTimeOffset now) => new()
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

    private List<Measurement<int>> ObserveStates()
    {
        lock (state.Gate)
        {
            return [.. ObservedStates.Select(sinkState =>
                new Measurement<int>(state.Sinks.Values.Count(s => s.State == sinkState), new KeyValuePair<string, object?>("state", sinkState.ToString())))];
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) registered: {Mode}, {Slots} slots, {MemoryMb} MB, runtimes {Runtimes} (replaces {Replaced})")]
    private static partial void LogRegistered(ILogger logger, string name, string id, string mode, int slots, uint memoryMb, string runtimes, string replaced);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) is back online")]
    private static partial void LogBackOnline(ILogger logger, string name, string id);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) is draining: {Held} tasks held, {InFlight} running")]
    private static partial void LogDraining(ILogger logger, string name, string id, int held, uint inFlight);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Sink {Name} ({Id}) removed: {Reason}")]
    private static partial void LogRemoved(ILogger logger, string name, string id, string reason);
}
