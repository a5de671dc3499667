using StackExchange.Redis;

namespace Faas.Queues;

/// <summary>
/// The keys of one queue, all tagged with <c>{name}</c> so they share one cluster slot (a script may only
/// touch keys of one slot). Every script gets the same keys in this order; see <see cref="QueueScripts"/>.
/// </summary>
internal static class QueueKeys
{
    /// <summary>The set of queue names the reaper visits.</summary>
    public static readonly RedisKey Registry = "faas:queues";

    public static RedisKey[] For(string name)
    {
        var prefix = $"faas:q:{{{name}}}:";
        return
        [
            prefix + "ready",     // KEYS[1] list of ids, leased from the head
            prefix + "leases",    // KEYS[2] sorted set id -> lease deadline (ms since epoch)
            prefix + "tokens",    // KEYS[3] hash id -> token of the current lease
            prefix + "consumers", // KEYS[4] hash id -> consumer holding the lease
            prefix + "delayed",   // KEYS[5] sorted set id -> time it becomes ready (ms since epoch)
            prefix + "bodies",    // KEYS[6] hash id -> payload, from enqueue until ack
            prefix + "attempts",  // KEYS[7] hash id -> deliveries so far
        ];
    }

    /// <summary>A deduplication key of the queue, in its hash tag so scripts may touch it with the others.</summary>
    public static RedisKey Dedupe(string name, string key) => $"faas:q:{{{name}}}:dedupe:{key}";

    /// <summary>Names become part of keys and the hash tag: braces would move the tag, so they are refused.</summary>
    public static void Validate(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.AsSpan().IndexOfAny('{', '}') >= 0 || name.Length > 200)
        {
            throw new ArgumentException($"Queue name '{name}' must be at most 200 characters without braces.", nameof(name));
        }
    }
}
