using Faas.Protos.V1;
using Faas.SinkManager.Membership;

namespace Faas.SinkManager.Tasks;

/// <summary>An invocation on its way to a sink that pulls: waiting in a memory-class queue, or held by a sink. Guarded by the registry's lock.</summary>
internal sealed class BrokeredTask
{
    public required string Id { get; init; }

    public required RunSinkTaskRequest Request { get; init; }

    /// <summary>The function as sinks get it: secrets unsealed into the environment.</summary>
    public required FunctionSpec DeliveredFunction { get; init; }

    public required string Runtime { get; init; }

    public required long MemoryMb { get; init; }

    /// <summary>Arrival order; a task handed back keeps its place.</summary>
    public required long Sequence { get; init; }

    public required DateTimeOffset EnqueuedAt { get; init; }

    public TaskCompletionSource<ExecuteResponse> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Deliveries so far (a hand-back does not count).</summary>
    public int Delivery { get; set; }

    /// <summary>The queue it waits in, and its node there, while pending.</summary>
    public LinkedListNode<BrokeredTask>? Node { get; set; }

    public SinkMember? HeldBy { get; set; }

    /// <summary>The id of the current delivery (what the sink acknowledges and completes): a new one per delivery, so a
    /// sink that lost a task cannot complete its next delivery by mistake.</summary>
    public string DeliveryId { get; set; } = "";

    /// <summary>The sink the last delivery went to; the next goes elsewhere when another sink can take it.</summary>
    public string? LastSinkId { get; set; }

    public PullConnection? DeliveredOn { get; set; }

    public DateTimeOffset AckBy { get; set; }

    public bool Acked { get; set; }

    public DateTimeOffset LeaseUntil { get; set; }

    public DateTimeOffset? UnplaceableSince { get; set; }

    /// <summary>The caller stopped waiting (deadline, cancellation): a late result is dropped.</summary>
    public bool Abandoned => Result.Task.IsCompleted;
}
