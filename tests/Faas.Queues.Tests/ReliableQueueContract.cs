using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Faas.Storage.Tests;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Faas.Queues.Tests;

/// <summary>
/// What a <see cref="ReliableQueue"/> promises, run once against Garnet and once against Redis by the two
/// subclasses. Every test has a queue of its own; the reaper host is started only by the test about it.
/// </summary>
[Trait("Category", "Integration")]
public abstract class ReliableQueueContract(string redisConnectionString) : IAsyncLifetime
{
    private ServiceHost host = null!;
    private ReliableQueue queue = null!;

    public Task InitializeAsync()
    {
        host = BuildHost(reaperPeriod: TimeSpan.FromMilliseconds(50));
        queue = host.Services.GetRequiredService<ReliableQueues>().Get(TestNames.Unique("q"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await host.DisposeAsync();

    [Fact]
    public async Task Messages_are_leased_in_the_order_they_were_enqueued()
    {
        await EnqueueAsync("a", "b", "c", "d");

        var first = await queue.LeaseAsync("worker", 3);
        var second = await queue.LeaseAsync("worker", 3);

        Assert.Equal(["a", "b", "c"], first.Select(m => m.Id));
        Assert.Equal(["d"], second.Select(m => m.Id));
        Assert.Equal("payload of a", Encoding.UTF8.GetString(first[0].Payload));
        Assert.All(first, m => Assert.Equal(1, m.Attempt));
    }

    [Fact]
    public async Task Enqueue_of_an_id_already_pending_or_leased_does_not_duplicate_it()
    {
        Assert.True(await queue.EnqueueAsync("m", Bytes("first")));
        Assert.False(await queue.EnqueueAsync("m", Bytes("second")));
        var leased = Assert.Single(await queue.LeaseAsync("worker", 10));
        Assert.False(await queue.EnqueueAsync("m", Bytes("third")));

        Assert.Equal("first", Encoding.UTF8.GetString(leased.Payload));
        Assert.Equal(new QueueCounts(0, 1, 0), await queue.CountAsync());

        Assert.True(await queue.AckAsync("m", leased.LeaseToken));
        Assert.True(await queue.EnqueueAsync("m", Bytes("after ack"))); // done with for good: the id is free again
    }

    [Fact]
    public async Task Lease_takes_exactly_max_count_when_more_are_ready()
    {
        await EnqueueAsync(Enumerable.Range(0, 10).Select(i => $"m{i}").ToArray());

        var leased = await queue.LeaseAsync("worker", 4);

        Assert.Equal(4, leased.Count);
        Assert.Single(leased.Select(m => m.LeaseToken).Distinct());
        Assert.Equal(new QueueCounts(6, 4, 0), await queue.CountAsync());
        Assert.Empty(await EmptyQueue().LeaseAsync("worker", 4));
    }

    [Fact]
    public async Task Ack_removes_the_body_and_the_lease()
    {
        await EnqueueAsync("m");
        var leased = Assert.Single(await queue.LeaseAsync("worker", 1));

        Assert.True(await queue.AckAsync("m", leased.LeaseToken));

        Assert.Equal(new QueueCounts(0, 0, 0), await queue.CountAsync());
        var redis = Redis.GetDatabase();
        Assert.False(await redis.HashExistsAsync(Key("bodies"), "m"));
        Assert.False(await redis.HashExistsAsync(Key("tokens"), "m"));
        Assert.Null(await redis.SortedSetScoreAsync(Key("leases"), "m"));
        Assert.False(await queue.AckAsync("m", leased.LeaseToken)); // a second ack changes nothing
        Assert.Empty(await queue.LeaseAsync("worker", 1));
    }

    [Fact]
    public async Task Ack_with_a_stale_token_after_redelivery_keeps_the_new_lease()
    {
        await EnqueueAsync("m");
        var stale = Assert.Single(await queue.LeaseAsync("slow", 1, TimeSpan.FromMilliseconds(1)));
        await queue.ReapExpiredAsync(DateTimeOffset.UtcNow.AddMinutes(1));
        var current = Assert.Single(await queue.LeaseAsync("fast", 1));

        Assert.False(await queue.AckAsync("m", stale.LeaseToken));
        Assert.False(await queue.NackAsync("m", stale.LeaseToken));
        Assert.False(await queue.ExtendLeaseAsync("m", stale.LeaseToken, TimeSpan.FromMinutes(1)));

        Assert.Equal(new QueueCounts(0, 1, 0), await queue.CountAsync());
        Assert.True(await Redis.GetDatabase().HashExistsAsync(Key("bodies"), "m"));
        Assert.True(await queue.AckAsync("m", current.LeaseToken));
    }

    [Fact]
    public async Task An_expired_lease_is_reaped_to_ready_and_leased_again_with_a_new_token()
    {
        await EnqueueAsync("m", "n");
        var first = Assert.Single(await queue.LeaseAsync("crashed", 1, TimeSpan.FromSeconds(30)));

        Assert.Equal(new ReapResult(0, 0), await queue.ReapExpiredAsync(DateTimeOffset.UtcNow));
        var reaped = await queue.ReapExpiredAsync(DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.Equal(new ReapResult(1, 0), reaped);
        Assert.Equal(new QueueCounts(2, 0, 0), await queue.CountAsync());
        var again = await queue.LeaseAsync("healthy", 2);
        Assert.Equal(["m", "n"], again.Select(m => m.Id)); // the redelivery goes first: it was due before n
        Assert.NotEqual(first.LeaseToken, again[0].LeaseToken);
        Assert.Equal(2, again[0].Attempt);
        Assert.Equal(1, again[1].Attempt);
    }

    [Fact]
    public async Task Extending_a_lease_keeps_it_from_being_reaped()
    {
        await EnqueueAsync("m");
        var leased = Assert.Single(await queue.LeaseAsync("worker", 1, TimeSpan.FromSeconds(1)));

        Assert.True(await queue.ExtendLeaseAsync("m", leased.LeaseToken, TimeSpan.FromMinutes(10)));

        Assert.Equal(new ReapResult(0, 0), await queue.ReapExpiredAsync(DateTimeOffset.UtcNow.AddMinutes(5)));
        Assert.Equal(1, (await queue.ReapExpiredAsync(DateTimeOffset.UtcNow.AddMinutes(11))).Redelivered);
    }

    [Fact]
    public async Task Nack_without_delay_returns_the_message_to_the_tail_of_ready()
    {
        await EnqueueAsync("m", "n");
        var leased = Assert.Single(await queue.LeaseAsync("worker", 1));

        Assert.True(await queue.NackAsync("m", leased.LeaseToken));

        Assert.Equal(new QueueCounts(2, 0, 0), await queue.CountAsync());
        var again = await queue.LeaseAsync("worker", 2);
        Assert.Equal(["n", "m"], again.Select(m => m.Id));
        Assert.Equal(2, again[1].Attempt);
    }

    [Fact]
    public async Task Nack_with_delay_is_not_leasable_before_the_delay_and_is_after_it()
    {
        var delay = TimeSpan.FromMilliseconds(400);
        await EnqueueAsync("m");
        var leased = Assert.Single(await queue.LeaseAsync("worker", 1));

        var nackedAt = Stopwatch.GetTimestamp();
        Assert.True(await queue.NackAsync("m", leased.LeaseToken, delay));

        Assert.Equal(new QueueCounts(0, 0, 1), await queue.CountAsync());
        Assert.Empty(await queue.LeaseAsync("worker", 1));
        var retried = await Eventually.MatchesAsync(() => queue.LeaseAsync("worker", 1), m => m.Count == 1, "the delayed message to become leasable");
        Assert.True(Stopwatch.GetElapsedTime(nackedAt) >= delay - TimeSpan.FromMilliseconds(20), "leased before its delay");
        Assert.Equal(2, retried[0].Attempt);
    }

    [Fact]
    public async Task The_reaper_promotes_due_delayed_messages()
    {
        await EnqueueAsync("m");
        var leased = Assert.Single(await queue.LeaseAsync("worker", 1));
        Assert.True(await queue.NackAsync("m", leased.LeaseToken, TimeSpan.FromMinutes(1)));

        Assert.Equal(new ReapResult(0, 0), await queue.ReapExpiredAsync(DateTimeOffset.UtcNow));
        Assert.Equal(new ReapResult(0, 1), await queue.ReapExpiredAsync(DateTimeOffset.UtcNow.AddMinutes(2)));
        Assert.Equal(new QueueCounts(1, 0, 0), await queue.CountAsync());
    }

    [Fact]
    public async Task Counts_report_ready_leased_and_delayed_messages()
    {
        Assert.Equal(new QueueCounts(0, 0, 0), await queue.CountAsync());
        await EnqueueAsync("a", "b", "c", "d", "e");
        var leased = await queue.LeaseAsync("worker", 3);
        Assert.True(await queue.NackAsync(leased[0].Id, leased[0].LeaseToken, TimeSpan.FromMinutes(1)));
        Assert.True(await queue.AckAsync(leased[1].Id, leased[1].LeaseToken));

        Assert.Equal(new QueueCounts(2, 1, 1), await queue.CountAsync());
    }

    [Fact]
    public async Task The_hosted_reaper_redelivers_an_expired_lease()
    {
        await EnqueueAsync("m");
        Assert.Single(await queue.LeaseAsync("crashed", 1, TimeSpan.FromMilliseconds(100)));

        await host.StartAsync();

        var again = await Eventually.MatchesAsync(() => queue.LeaseAsync("healthy", 1), m => m.Count == 1, "the reaper to redeliver the message");
        Assert.Equal(2, again[0].Attempt);
    }

    [Fact]
    public async Task Waiting_for_a_lease_returns_a_message_enqueued_later()
    {
        using var timeout = new CancellationTokenSource(Eventually.DefaultDeadline);
        var waiting = queue.LeaseWhenAvailableAsync("worker", 5, cancellationToken: timeout.Token);
        await Task.Delay(50); // let the waiter find the queue empty first
        Assert.False(waiting.IsCompleted);

        await EnqueueAsync("m");

        Assert.Equal("m", Assert.Single(await waiting).Id);
    }

    [Fact]
    public async Task Waiting_for_a_lease_ends_when_cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.LeaseWhenAvailableAsync("worker", 1, cancellationToken: cancel.Token));
    }

    [Fact]
    public void Names_with_braces_are_refused_because_they_would_move_the_hash_tag() =>
        Assert.Throws<ArgumentException>(() => host.Services.GetRequiredService<ReliableQueues>().Get("a}b"));

    [Fact]
    public async Task Four_consumers_share_2000_messages_without_overlap_and_each_is_acked_once()
    {
        const int total = 2_000;
        var ids = Enumerable.Range(0, total).Select(i => $"m{i:D4}").ToArray();
        await Task.WhenAll(ids.Select(id => queue.EnqueueAsync(id, Bytes(id))));
        var acks = new ConcurrentDictionary<string, int>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        async Task<List<string>> ConsumeAsync(string consumer)
        {
            var mine = new List<string>();
            while (acks.Count < total)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var leased = await queue.LeaseAsync(consumer, 25, TimeSpan.FromMinutes(5));
                foreach (var message in leased)
                {
                    mine.Add(message.Id);
                    Assert.Equal(message.Id, Encoding.UTF8.GetString(message.Payload));
                    if (await queue.AckAsync(message.Id, message.LeaseToken))
                    {
                        acks.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
                    }
                }

                if (leased.Count == 0)
                {
                    await Task.Yield();
                }
            }

            return mine;
        }

        var sets = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => Task.Run(() => ConsumeAsync($"consumer-{i}"))));

        Assert.Equal(total, sets.Sum(s => s.Count));
        Assert.Equal(ids, sets.SelectMany(s => s).Order(StringComparer.Ordinal));
        Assert.All(acks.Values, n => Assert.Equal(1, n));
        Assert.Equal(total, acks.Count);
        Assert.All(sets, s => Assert.NotEmpty(s));
        Assert.Equal(new QueueCounts(0, 0, 0), await queue.CountAsync());
    }

    [Fact]
    public async Task A_deduplication_key_returns_the_first_id_until_it_expires()
    {
        var first = await queue.EnqueueAsync("a", Bytes("first"), "key-1", TimeSpan.FromMilliseconds(300), maxBacklog: 0);
        var again = await queue.EnqueueAsync("b", Bytes("second"), "key-1", TimeSpan.FromMilliseconds(300), maxBacklog: 0);
        var otherKey = await queue.EnqueueAsync("c", Bytes("third"), "key-2", TimeSpan.FromMilliseconds(300), maxBacklog: 0);

        Assert.Equal(new EnqueueResult(EnqueueOutcome.Added, "a", 0), first);
        Assert.Equal(new EnqueueResult(EnqueueOutcome.Duplicate, "a", 0), again);
        Assert.Equal(EnqueueOutcome.Added, otherKey.Outcome);
        Assert.Equal(["a", "c"], (await queue.LeaseAsync("worker", 10)).Select(m => m.Id));

        // After the retention the key is free again, even though "a" is still leased.
        await Eventually.MatchesAsync(
            () => queue.EnqueueAsync("d", Bytes("fourth"), "key-1", TimeSpan.FromMilliseconds(300), maxBacklog: 0),
            r => r.Outcome == EnqueueOutcome.Added, "the key to expire");
    }

    [Fact]
    public async Task Concurrent_enqueues_with_one_key_add_exactly_one_message()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            queue.EnqueueAsync($"m{i}", Bytes("x"), "same-key", TimeSpan.FromMinutes(1), maxBacklog: 0)));

        var added = Assert.Single(results, r => r.Outcome == EnqueueOutcome.Added);
        Assert.All(results.Where(r => r.Outcome != EnqueueOutcome.Added), r => Assert.Equal(new EnqueueResult(EnqueueOutcome.Duplicate, added.Id, 0), r));
        Assert.Equal(new QueueCounts(1, 0, 0), await queue.CountAsync());
    }

    [Fact]
    public async Task The_backlog_limit_counts_ready_leased_and_delayed_messages()
    {
        await EnqueueAsync("a", "b", "c");
        var leased = await queue.LeaseAsync("worker", 2);
        Assert.True(await queue.NackAsync(leased[1].Id, leased[1].LeaseToken, TimeSpan.FromMinutes(1)));

        var refused = await queue.EnqueueAsync("d", Bytes("d"), null, TimeSpan.Zero, maxBacklog: 3);
        Assert.Equal(new EnqueueResult(EnqueueOutcome.BacklogFull, "d", 3), refused);

        Assert.True(await queue.AckAsync(leased[0].Id, leased[0].LeaseToken));
        Assert.Equal(EnqueueOutcome.Added, (await queue.EnqueueAsync("d", Bytes("d"), null, TimeSpan.Zero, maxBacklog: 3)).Outcome);
    }

    [Fact]
    public async Task A_refused_enqueue_does_not_take_the_deduplication_key()
    {
        await EnqueueAsync("a");
        Assert.Equal(EnqueueOutcome.BacklogFull, (await queue.EnqueueAsync("b", Bytes("b"), "key", TimeSpan.FromMinutes(1), maxBacklog: 1)).Outcome);
        var leased = Assert.Single(await queue.LeaseAsync("worker", 1));
        Assert.True(await queue.AckAsync(leased.Id, leased.LeaseToken));

        Assert.Equal(new EnqueueResult(EnqueueOutcome.Added, "b", 0), await queue.EnqueueAsync("b", Bytes("b"), "key", TimeSpan.FromMinutes(1), maxBacklog: 1));
    }

    [Fact]
    public async Task Release_gives_the_lease_back_without_counting_the_delivery()
    {
        await EnqueueAsync("a");
        var first = Assert.Single(await queue.LeaseAsync("worker", 1));
        Assert.True(await queue.ReleaseAsync(first.Id, first.LeaseToken));
        var second = Assert.Single(await queue.LeaseAsync("worker", 1));
        Assert.True(await queue.NackAsync(second.Id, second.LeaseToken));
        var third = Assert.Single(await queue.LeaseAsync("worker", 1));

        Assert.Equal([1, 1, 2], new[] { first.Attempt, second.Attempt, third.Attempt });
        Assert.False(await queue.ReleaseAsync(first.Id, first.LeaseToken)); // a stale token releases nothing
    }

    private IConnectionMultiplexer Redis => host.Services.GetRequiredService<IConnectionMultiplexer>();

    private RedisKey Key(string part) => $"faas:q:{{{queue.Name}}}:{part}";

    private ReliableQueue EmptyQueue() => host.Services.GetRequiredService<ReliableQueues>().Get(TestNames.Unique("empty"));

    private static ReadOnlyMemory<byte> Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private async Task EnqueueAsync(params string[] ids)
    {
        foreach (var id in ids)
        {
            Assert.True(await queue.EnqueueAsync(id, Bytes($"payload of {id}")));
        }
    }

    private ServiceHost BuildHost(TimeSpan reaperPeriod)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{RedisOptions.ConnectionName}"] = redisConnectionString,
            ["Queues:ReaperPeriod"] = reaperPeriod.ToString(),
        });
        builder.AddFaasRedis().AddReliableQueues();
        return new ServiceHost(builder.Build());
    }
}
