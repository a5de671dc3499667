using Grpc.Core;

namespace Faas.SinkManager.Membership;

/// <summary>
/// What the parts of the <see cref="SinkRegistry"/> share: the one lock, the sinks, the tombstones of those that left,
/// and the version every change moves on.
/// <para>
/// The locking rule: every sink, tombstone, waiting task and held task is read and written under <see cref="Gate"/>,
/// the one lock of the whole registry (membership, tasks and sweep), so a change that spans them (a sink leaves and
/// the tasks it held go back to the queues) is atomic. An operation the service calls takes the lock once; a method
/// whose name ends in <c>Locked</c> expects it held and never takes it itself, nor waits.
/// </para>
/// </summary>
internal sealed class SinkRegistryState
{
    private long version;
    private TaskCompletionSource changed = NewSignal();

    public Lock Gate { get; } = new();

    public Dictionary<string, SinkMember> Sinks { get; } = new(StringComparer.Ordinal);

    /// <summary>Sinks that left or were deleted, so their heartbeats learn it (rather than NOT_FOUND), until forgotten.</summary>
    public Dictionary<string, DateTimeOffset> Tombstones { get; } = new(StringComparer.Ordinal);

    /// <summary>Bumped on every change of membership, load or held tasks.</summary>
    public long Version => Interlocked.Read(ref version);

    /// <summary>Completes when <see cref="Version"/> moves past <paramref name="seen"/>.</summary>
    public Task WaitForChangeAsync(long seen, CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            return version != seen ? Task.CompletedTask : changed.Task.WaitAsync(cancellationToken);
        }
    }

    public void ChangedLocked()
    {
        Interlocked.Increment(ref version);
        Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();
    }

    public SinkMember GetLocked(string sinkId) =>
        Sinks.TryGetValue(sinkId, out var sink)
            ? sink
            : throw new RpcException(new Status(StatusCode.NotFound, Tombstones.ContainsKey(sinkId)
                ? $"Sink {sinkId} was deleted."
                : $"There is no sink {sinkId}."));

    /// <summary>The sink, when it exists and <paramref name="credentialId"/> may act as it.</summary>
    public SinkMember GetAuthorizedLocked(Guid credentialId, string sinkId)
    {
        var sink = GetLocked(sinkId);
        Authorize(sink, credentialId);
        return sink;
    }

    /// <summary>A sink may only act as itself: a sink of another credential is as good as unknown.</summary>
    public static void Authorize(SinkMember sink, Guid credentialId)
    {
        if (credentialId != Guid.Empty && sink.CredentialId != credentialId)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"There is no sink {sink.Id} under this credential."));
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
