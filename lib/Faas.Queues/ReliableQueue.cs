using Faas.Shared;
using StackExchange.Redis;

namespace Faas.Queues;

/// <summary>
/// One named at-least-once queue in Redis (or Garnet): lists, sorted sets and hashes changed only by the
/// Lua scripts in <see cref="QueueScripts"/>. A consumer leases messages, then acks (done), nacks (retry,
/// at once or after a delay) or lets the lease expire, after which <see cref="ReapExpiredAsync"/> hands
/// the message to someone else. Get instances from <see cref="ReliableQueues"/>.
/// </summary>
public sealed class ReliableQueue
{
    private static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(5);

    private readonly IConnectionMultiplexer redis;
    private readonly RedisKey[] keys;
    private readonly ReliableQueueOptions options;
    private readonly TimeProvider timeProvider;
    private readonly QueueMetrics metrics;
    private readonly AppendOnlyFileCommit commit;
    private const int MaxBatch = 256;
    private const int MaxFlushesInFlight = 2;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(long Ttl, long MaxBacklog), CallBatcher<PendingEnqueue, EnqueueResult>> enqueueBatchers = new();
    private readonly CallBatcher<(string Id, string Token), bool> ackBatcher;
    private TaskCompletionSource enqueuedHere = NewSignal();
    private int registered;

    internal ReliableQueue(string name, IConnectionMultiplexer redis, ReliableQueueOptions options, TimeProvider timeProvider, QueueMetrics metrics, AppendOnlyFileCommit commit)
    {
        this.commit = commit;
        QueueKeys.Validate(name);
        Name = name;
        keys = QueueKeys.For(name);
        this.redis = redis;
        this.options = options;
        this.timeProvider = timeProvider;
        this.metrics = metrics;
        ackBatcher = new CallBatcher<(string Id, string Token), bool>(AckBatchAsync, MaxBatch, MaxFlushesInFlight);
    }

    public string Name { get; }

    private IDatabase Database => redis.GetDatabase();

    /// <summary>Adds a message; false (and nothing changes) while a message with this id is pending, leased or delayed.</summary>
    public async Task<bool> EnqueueAsync(string id, ReadOnlyMemory<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        await RegisterAsync().ConfigureAwait(false);
        var added = (long)await EvaluateAsync(QueueScripts.Enqueue, id, payload).ConfigureAwait(false) == 1;
        await commit.CommitAsync().ConfigureAwait(false);
        if (added)
        {
            metrics.Enqueued(Name);
            Interlocked.Exchange(ref enqueuedHere, NewSignal()).TrySetResult();
        }

        return added;
    }

    /// <summary>
    /// Adds a message unless <paramref name="dedupeKey"/> was used within <paramref name="dedupeFor"/> (then the
    /// id it was used for comes back) or the queue already holds <paramref name="maxBacklog"/> messages
    /// (ready, leased or delayed; 0 means no limit). Check and add are one atomic step.
    /// </summary>
    public async Task<EnqueueResult> EnqueueAsync(string id, ReadOnlyMemory<byte> payload, string? dedupeKey, TimeSpan dedupeFor, long maxBacklog)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBacklog);
        await RegisterAsync().ConfigureAwait(false);
        var ttl = Math.Max(1, (long)dedupeFor.TotalMilliseconds);
        var batcher = enqueueBatchers.GetOrAdd((ttl, maxBacklog), static (limits, queue) =>
            new CallBatcher<PendingEnqueue, EnqueueResult>(batch => queue.EnqueueBatchAsync(batch, limits.Ttl, limits.MaxBacklog), MaxBatch, MaxFlushesInFlight), this);
        var result = await batcher.SubmitAsync(new PendingEnqueue(id, payload, string.IsNullOrEmpty(dedupeKey) ? null : dedupeKey)).ConfigureAwait(false);
        if (result.Outcome == EnqueueOutcome.Added)
        {
            metrics.Enqueued(Name);
            Interlocked.Exchange(ref enqueuedHere, NewSignal()).TrySetResult();
        }

        return result;
    }

    private async Task<IReadOnlyList<EnqueueResult>> EnqueueBatchAsync(IReadOnlyList<PendingEnqueue> batch, long ttl, long maxBacklog)
    {
        var scriptKeys = new RedisKey[keys.Length + batch.Count];
        keys.CopyTo(scriptKeys, 0);
        var arguments = new RedisValue[3 + (batch.Count * 3)];
        arguments[0] = batch.Count;
        arguments[1] = maxBacklog;
        arguments[2] = ttl;
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            scriptKeys[keys.Length + i] = QueueKeys.Dedupe(Name, message.DedupeKey ?? "");
            arguments[3 + (i * 3)] = message.Id;
            arguments[4 + (i * 3)] = message.Payload;
            arguments[5 + (i * 3)] = message.DedupeKey is null ? 0 : 1;
        }

        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(QueueScripts.EnqueueMany, scriptKeys, arguments).ConfigureAwait(false))!;
        await commit.CommitAsync().ConfigureAwait(false); // one per flight: the whole batch is answered once it is on disk
        var results = new EnqueueResult[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var outcome = (EnqueueOutcome)(int)result[2 * i];
            var value = (string)result[(2 * i) + 1]!;
            results[i] = outcome == EnqueueOutcome.BacklogFull
                ? new EnqueueResult(outcome, batch[i].Id, long.Parse(value, System.Globalization.CultureInfo.InvariantCulture))
                : new EnqueueResult(outcome, value, 0);
        }

        return results;
    }

    /// <summary>Leases up to <paramref name="maxCount"/> ready messages in FIFO order without waiting; empty when none are ready.</summary>
    public async Task<IReadOnlyList<LeasedMessage>> LeaseAsync(string consumer, int maxCount, TimeSpan? leaseDuration = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        var now = timeProvider.GetUtcNow();
        var expiresAt = now + (leaseDuration ?? options.DefaultLeaseDuration);
        var token = Guid.NewGuid().ToString("N");
        var result = (RedisResult[])(await EvaluateAsync(QueueScripts.Lease, Milliseconds(now), Milliseconds(expiresAt), token, consumer, maxCount).ConfigureAwait(false))!;
        var messages = new LeasedMessage[result.Length / 3];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = new LeasedMessage((string)result[3 * i]!, (byte[])result[3 * i + 1]!, token, (int)result[3 * i + 2], expiresAt);
        }

        if (messages.Length > 0)
        {
            metrics.Leased(Name, messages.Length);
        }

        return messages;
    }

    /// <summary>
    /// Leases like <see cref="LeaseAsync"/> but waits until at least one message is there: polls with a
    /// backoff up to <see cref="ReliableQueueOptions.MaxPollInterval"/>, and at once after an enqueue through this instance.
    /// </summary>
    public async Task<IReadOnlyList<LeasedMessage>> LeaseWhenAvailableAsync(string consumer, int maxCount, TimeSpan? leaseDuration = null, CancellationToken cancellationToken = default)
    {
        var pause = MinPollInterval;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var enqueued = enqueuedHere.Task; // taken before the lease, so an enqueue in between is not missed
            var messages = await LeaseAsync(consumer, maxCount, leaseDuration).ConfigureAwait(false);
            if (messages.Count > 0)
            {
                return messages;
            }

            await Task.WhenAny(Task.Delay(pause, timeProvider, cancellationToken), enqueued).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, options.MaxPollInterval.Ticks));
        }
    }

    /// <summary>Deletes the message and its body for good; false when <paramref name="leaseToken"/> no longer holds its lease.</summary>
    public async Task<bool> AckAsync(string id, string leaseToken)
    {
        var acked = await ackBatcher.SubmitAsync((id, leaseToken)).ConfigureAwait(false);
        if (acked)
        {
            metrics.Acked(Name);
        }

        return acked;
    }

    private async Task<IReadOnlyList<bool>> AckBatchAsync(IReadOnlyList<(string Id, string Token)> batch)
    {
        var arguments = new RedisValue[1 + (batch.Count * 2)];
        arguments[0] = batch.Count;
        for (var i = 0; i < batch.Count; i++)
        {
            arguments[1 + (i * 2)] = batch[i].Id;
            arguments[2 + (i * 2)] = batch[i].Token;
        }

        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(QueueScripts.AckMany, keys, arguments).ConfigureAwait(false))!;
        return Array.ConvertAll(result, r => (long)r == 1);
    }

    private sealed record PendingEnqueue(string Id, ReadOnlyMemory<byte> Payload, string? DedupeKey);

    /// <summary>
    /// Gives the lease back for a retry: to the tail of ready at once, or after <paramref name="delay"/>.
    /// False when <paramref name="leaseToken"/> no longer holds the lease.
    /// </summary>
    public Task<bool> NackAsync(string id, string leaseToken, TimeSpan delay = default) => GiveBackAsync(id, leaseToken, delay, uncount: false);

    /// <summary>
    /// Gives the lease back like <see cref="NackAsync"/> but takes the delivery back too, so the next one has
    /// the same <see cref="LeasedMessage.Attempt"/>: for a consumer that could not start the work at all.
    /// </summary>
    public Task<bool> ReleaseAsync(string id, string leaseToken, TimeSpan delay = default) => GiveBackAsync(id, leaseToken, delay, uncount: true);

    private async Task<bool> GiveBackAsync(string id, string leaseToken, TimeSpan delay, bool uncount)
    {
        var due = delay > TimeSpan.Zero ? Milliseconds(timeProvider.GetUtcNow() + delay) : 0;
        var nacked = (long)await EvaluateAsync(QueueScripts.Nack, id, leaseToken, due, uncount ? 1 : 0).ConfigureAwait(false) == 1;
        if (nacked)
        {
            metrics.Nacked(Name);
        }

        return nacked;
    }

    /// <summary>Moves the lease's deadline to <paramref name="duration"/> from now; false when the token no longer holds it.</summary>
    public async Task<bool> ExtendLeaseAsync(string id, string leaseToken, TimeSpan duration) =>
        (long)await EvaluateAsync(QueueScripts.Extend, id, leaseToken, Milliseconds(timeProvider.GetUtcNow() + duration)).ConfigureAwait(false) == 1;

    /// <summary>Returns leases expired at <paramref name="now"/> to ready and promotes delayed messages due by then.</summary>
    public async Task<ReapResult> ReapExpiredAsync(DateTimeOffset now)
    {
        long redelivered = 0, promoted = 0;
        while (true)
        {
            var result = (RedisResult[])(await EvaluateAsync(QueueScripts.Reap, Milliseconds(now), options.ReapBatchSize).ConfigureAwait(false))!;
            var (expired, due) = ((long)result[0], (long)result[1]);
            redelivered += expired;
            promoted += due;
            if (expired < options.ReapBatchSize && due < options.ReapBatchSize)
            {
                break;
            }
        }

        if (redelivered > 0)
        {
            metrics.Redelivered(Name, redelivered);
        }

        return new ReapResult(redelivered, promoted);
    }

    /// <summary>Messages ready, leased and delayed, read atomically.</summary>
    public async Task<QueueCounts> CountAsync()
    {
        var result = (RedisResult[])(await EvaluateAsync(QueueScripts.Counts).ConfigureAwait(false))!;
        var counts = new QueueCounts((long)result[0], (long)result[1], (long)result[2]);
        metrics.Depth(Name, counts);
        return counts;
    }

    /// <summary>Lists the queue once per instance so the reaper of any service visits it.</summary>
    private async Task RegisterAsync()
    {
        if (Volatile.Read(ref registered) == 0)
        {
            await Database.SetAddAsync(QueueKeys.Registry, Name).ConfigureAwait(false);
            Volatile.Write(ref registered, 1);
        }
    }

    // StackExchange.Redis sends EVALSHA once the script is known to the server and falls back to EVAL on NOSCRIPT.
    private Task<RedisResult> EvaluateAsync(string script, params RedisValue[] arguments) =>
        Database.ScriptEvaluateAsync(script, keys, arguments);

    private static long Milliseconds(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
