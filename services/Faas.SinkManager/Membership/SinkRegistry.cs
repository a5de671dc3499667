using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.SinkManager.Tasks;
using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Membership;

/// <summary>
/// The membership of execution capacity and the hand-off of tasks to sinks that pull. One lock guards both: sinks
/// (state, load, what they hold) and the memory-class queues of waiting tasks. A task goes to the first online sink
/// with an open Pull, a free slot and room for the function's memory that runs the function's runtime; a task a sink
/// does not acknowledge, or does not complete within its lease, or that a sink leaves behind (offline, deregistered,
/// deleted past its drain), goes to the next sink, up to <see cref="SinkManagerOptions.MaxDeliveries"/> deliveries.
/// <para>
/// The registry composes three parts over one <see cref="SinkRegistryState"/>: the <see cref="SinkRoster"/>
/// (membership), the <see cref="TaskBroker"/> (waiting and held tasks) and the <see cref="SinkSweep"/> (the periodic
/// pass). The locking rule: the state's one lock guards every sink, tombstone and task, whichever part changes them;
/// each operation below takes it once, and whatever it does across the parts (a sink leaves and its tasks go back
/// to the queues) happens atomically under it. The parts' <c>Locked</c> methods expect it held and never take it.
/// </para>
/// </summary>
public sealed class SinkRegistry
{
    private readonly SinkRegistryState state = new();
    private readonly SinkRoster membership;
    private readonly TaskBroker tasks;
    private readonly SinkSweep sweep;

    public SinkRegistry(IOptions<SinkManagerOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<SinkRegistry> logger)
    {
        var meter = meterFactory.Create(SinkManagerTelemetry.MeterName);
        tasks = new TaskBroker(state, options.Value, time, meter, logger);
        membership = new SinkRoster(state, tasks, options.Value, time, meter, logger);
        sweep = new SinkSweep(state, membership, tasks, options.Value, time, meter, logger);
    }

    /// <summary>Bumped on every change of membership, load or held tasks.</summary>
    public long Version => state.Version;

    // ---- membership ----------------------------------------------------------------------------------------------

    public RegisterSinkResponse Register(Guid credentialId, RegisterSinkRequest request) => membership.Register(credentialId, request);

    public SinkState Heartbeat(Guid credentialId, string sinkId, SinkLoad? load) => membership.Heartbeat(credentialId, sinkId, load);

    public void Deregister(Guid credentialId, string sinkId) => membership.Deregister(credentialId, sinkId);

    /// <summary>Drains the sink (or removes it at once when it is offline or holds nothing and pushes nothing).</summary>
    public SinkInfo Delete(string sinkId) => membership.Delete(sinkId);

    /// <summary>Removes every sink of a revoked credential at once; what they held goes elsewhere.</summary>
    public void RemoveCredential(Guid credentialId) => membership.RemoveCredential(credentialId);

    public SinkInfo Get(string sinkId) => membership.Get(sinkId);

    public IReadOnlyList<SinkInfo> List() => membership.List();

    public SinkMembership Snapshot() => membership.Snapshot();

    /// <summary>Completes when <see cref="Version"/> moves past <paramref name="seen"/>.</summary>
    public Task WaitForChangeAsync(long seen, CancellationToken cancellationToken) => state.WaitForChangeAsync(seen, cancellationToken);

    /// <summary>Whether the sink exists and was given a task of the module (the code it may fetch).</summary>
    public bool MayFetch(Guid credentialId, string sinkId, string moduleSha256) => membership.MayFetch(credentialId, sinkId, moduleSha256);

    // ---- tasks ---------------------------------------------------------------------------------------------------

    /// <summary>Queues a task for the sinks that pull, or refuses it when no online sink could ever run it.</summary>
    internal BrokeredTask Enqueue(RunSinkTaskRequest request, FunctionSpec delivered) => tasks.Enqueue(request, delivered);

    /// <summary>The caller stopped waiting: a waiting task leaves its queue; a held one runs on, its result dropped.</summary>
    internal void Abandon(BrokeredTask task) => tasks.Abandon(task);

    /// <summary>A sink's Pull call: tasks are written to <paramref name="connection"/> until the call ends.</summary>
    internal void Connect(Guid credentialId, string sinkId, PullConnection connection) => tasks.Connect(credentialId, sinkId, connection);

    /// <summary>The Pull call ended: tasks it carried that were not acknowledged go elsewhere now.</summary>
    internal void Disconnect(string sinkId, PullConnection connection) => tasks.Disconnect(sinkId, connection);

    internal void Ack(Guid credentialId, string sinkId, string taskId) => tasks.Ack(credentialId, sinkId, taskId);

    internal void Complete(Guid credentialId, string sinkId, string taskId, ExecuteResponse result) => tasks.Complete(credentialId, sinkId, taskId, result);

    internal void Release(Guid credentialId, string sinkId, string taskId) => tasks.Release(credentialId, sinkId, taskId);

    // ---- sweep ---------------------------------------------------------------------------------------------------

    /// <summary>Marks silent sinks offline, finishes drains, takes back expired tasks, fails tasks no sink can run.</summary>
    public void Sweep() => sweep.Sweep();
}
