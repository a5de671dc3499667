namespace Faas.Queues;

/// <summary>
/// A message a consumer holds until <see cref="LeaseExpiresAt"/>. <see cref="LeaseToken"/> fences this
/// delivery: acking, nacking or extending with it fails once the lease expired and the message went to
/// another consumer. <see cref="Attempt"/> counts deliveries, starting at 1.
/// </summary>
public sealed record LeasedMessage(string Id, byte[] Payload, string LeaseToken, int Attempt, DateTimeOffset LeaseExpiresAt);

/// <summary>How many messages of a queue wait, are held by consumers, or wait for a retry time.</summary>
public readonly record struct QueueCounts(long Ready, long Leased, long Delayed);

/// <summary>What one reap moved: expired leases back to ready, and delayed messages that fell due.</summary>
public readonly record struct ReapResult(long Redelivered, long Promoted);

/// <summary>What an enqueue with conditions did.</summary>
public enum EnqueueOutcome
{
    /// <summary>The id was already pending, leased or delayed; nothing changed.</summary>
    AlreadyQueued = 0,

    /// <summary>Added.</summary>
    Added = 1,

    /// <summary>The deduplication key was taken: <see cref="EnqueueResult.Id"/> is the id it was taken for.</summary>
    Duplicate = 2,

    /// <summary>The queue holds as many messages as allowed: <see cref="EnqueueResult.Backlog"/> says how many.</summary>
    BacklogFull = 3,
}

/// <summary>The outcome of <see cref="ReliableQueue.EnqueueAsync(string, ReadOnlyMemory{byte}, string?, TimeSpan, long)"/>.</summary>
public readonly record struct EnqueueResult(EnqueueOutcome Outcome, string Id, long Backlog);
