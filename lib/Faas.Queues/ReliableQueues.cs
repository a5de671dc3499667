using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Queues;

/// <summary>The reliable queues of the mesh by name (e.g. asynchronous invocations, builds); one instance per name and process.</summary>
public sealed class ReliableQueues(IConnectionMultiplexer redis, IOptions<ReliableQueueOptions> options, TimeProvider timeProvider, IMeterFactory meterFactory)
{
    private readonly ConcurrentDictionary<string, ReliableQueue> queues = new(StringComparer.Ordinal);
    private readonly QueueMetrics metrics = new(meterFactory);
    private readonly AppendOnlyFileCommit commit = new(redis);

    /// <summary>The queue called <paramref name="name"/> (no braces); it exists in Redis from its first enqueue.</summary>
    public ReliableQueue Get(string name) =>
        queues.GetOrAdd(name, n => new ReliableQueue(n, redis, options.Value, timeProvider, metrics, commit));

    /// <summary>Every queue anyone enqueued to, as listed in Redis.</summary>
    public async Task<IReadOnlyList<ReliableQueue>> ListAsync()
    {
        var names = await redis.GetDatabase().SetMembersAsync(QueueKeys.Registry).ConfigureAwait(false);
        return names.Select(n => Get(n!)).ToArray();
    }
}
