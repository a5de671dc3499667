using System.Collections.Concurrent;
using Faas.Storage.Tests;
using Faas.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Faas.Queues.Tests;

/// <summary>
/// An enqueue that was answered survives a SIGKILL of the queue server: the embedded Garnet with its append-only file,
/// killed while eight writers enqueue as fast as they can, started again by the AppHost, holds every message whose
/// enqueue returned; and a kill while consumers move messages leaves none half-moved. Has its own AppHost (Garnet
/// persistent, PostgreSQL, no services).
/// </summary>
[Trait("Category", "Integration")]
public sealed class GarnetCrashTests : IAsyncLifetime
{
    private FaasTestApp app = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o => o.InfrastructureOnly = true).BuildAsync();
        await app.StartAsync();
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Every_acknowledged_enqueue_is_there_after_the_server_is_killed_mid_stream()
    {
        await using var host = BuildHost();
        var queue = host.Services.GetRequiredService<ReliableQueues>().Get(TestNames.Unique("crash"));
        var acknowledged = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = $"{w}-{i}";
                try
                {
                    if ((await queue.EnqueueAsync(id, new byte[256], null, TimeSpan.FromMinutes(1), 0)).Outcome == EnqueueOutcome.Added)
                    {
                        acknowledged.Add(id);
                    }
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    await Task.Delay(50); // the server is down: not acknowledged, so not counted
                }
            }
        })).ToList();

        await KillMidStreamAsync(() => acknowledged.Count >= 3000, stop, writers);
        var present = await ReadAfterRestartAsync(async () => (await queue.LeaseAsync("check", 1_000_000)).Select(m => m.Id).ToHashSet(StringComparer.Ordinal));
        var lost = acknowledged.Where(id => !present.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged enqueues were lost: {string.Join(", ", lost.Take(10))}");
    }

    [Fact]
    public async Task Every_message_is_in_exactly_one_place_after_the_server_is_killed_while_consumers_move_them()
    {
        // Three clients (three connections, as the gateway, the scheduler and a second scheduler have) lease, ack, nack
        // and reap one queue as fast as they can; the server is killed in the middle. Each script moves a message between
        // ready, leased and delayed in several writes: after the append-only file is replayed, none may be half-moved.
        const int Messages = 3_000;
        var hosts = Enumerable.Range(0, 3).Select(_ => BuildHost()).ToList();
        try
        {
            var name = TestNames.Unique("crash-moves");
            var queues = hosts.Select(h => h.Services.GetRequiredService<ReliableQueues>().Get(name)).ToList();
            await Task.WhenAll(Enumerable.Range(0, Messages).Select(i => queues[0].EnqueueAsync($"m-{i}", new byte[64], null, TimeSpan.FromMinutes(1), 0)));

            var ackTried = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            long moves = 0;
            using var stop = new CancellationTokenSource();
            var workers = new List<Task>();
            for (var c = 0; c < 6; c++)
            {
                var queue = queues[c % queues.Count];
                var consumer = $"consumer-{c}";
                var seed = c;
                workers.Add(Task.Run(async () =>
                {
                    var random = new Random(seed);
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            // Short leases, so the reapers take some back while their holders still act on them.
                            var leased = await queue.LeaseAsync(consumer, 8, TimeSpan.FromMilliseconds(random.Next(5, 60)));
                            if (leased.Count == 0)
                            {
                                await Task.Delay(5);
                                continue;
                            }

                            var choices = leased.Select(_ => random.Next(20)).ToArray();
                            await Task.WhenAll(leased.Select((m, i) => choices[i] switch
                            {
                                0 => AckAsync(queue, m, ackTried),
                                < 10 => queue.NackAsync(m.Id, m.LeaseToken),
                                < 19 => queue.NackAsync(m.Id, m.LeaseToken, TimeSpan.FromMilliseconds(20)),
                                _ => Task.FromResult(false), // left to expire
                            }));
                            Interlocked.Add(ref moves, leased.Count);
                        }
                        catch (Exception e) when (e is RedisException or TimeoutException)
                        {
                            await Task.Delay(50);
                        }
                    }
                }));
            }

            foreach (var queue in queues)
            {
                workers.Add(Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            await queue.ReapExpiredAsync(DateTimeOffset.UtcNow);
                        }
                        catch (Exception e) when (e is RedisException or TimeoutException)
                        {
                        }

                        await Task.Delay(2);
                    }
                }));
            }

            await KillMidStreamAsync(() => Interlocked.Read(ref moves) >= 20_000, stop, workers);
            var places = await ReadAfterRestartAsync(() => PlacesAsync(hosts[0].Services.GetRequiredService<IConnectionMultiplexer>(), name));

            var problems = new List<string>();
            for (var i = 0; i < Messages; i++)
            {
                var id = $"m-{i}";
                var where = places.Where(p => p.Value.Contains(id)).Select(p => p.Key).ToList();
                var hasBody = places["bodies"].Contains(id);
                var placed = where.Where(w => w is not "bodies" and not "ready twice").ToList();
                if (places["ready twice"].Contains(id))
                {
                    problems.Add($"{id} is in the ready list more than once");
                }

                if (hasBody && placed.Count != 1)
                {
                    problems.Add($"{id} is in {(placed.Count == 0 ? "no place" : string.Join(" and ", placed))}");
                }
                else if (!hasBody && placed.Count > 0)
                {
                    problems.Add($"{id} has no body but is in {string.Join(" and ", placed)}");
                }
                else if (!hasBody && !ackTried.ContainsKey(id))
                {
                    problems.Add($"{id} is gone without an ack");
                }
            }

            Assert.True(problems.Count == 0, $"{problems.Count} of {Messages} messages are broken after {moves} moves and a kill: {string.Join("; ", problems.Take(10))}");
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>Once <paramref name="enough"/> work is under way, kills the queue server, waits for it to be back, and stops the workers.</summary>
    private async Task KillMidStreamAsync(Func<bool> enough, CancellationTokenSource stop, IEnumerable<Task> workers)
    {
        while (!enough())
        {
            await Task.Delay(10);
        }

        var killed = app.Kill("redis");
        await app.WaitForResourceAsync("redis", r => r.IsHealthy && r.Pid != killed);
        await stop.CancelAsync();
        await Task.WhenAll(workers);
    }

    /// <summary>Reads the queue once the client has reconnected to the restarted server.</summary>
    private static async Task<T> ReadAfterRestartAsync<T>(Func<Task<T>> read)
        where T : class =>
        (await Eventually.MatchesAsync(
            async () =>
            {
                try
                {
                    return await read();
                }
                catch (RedisException)
                {
                    return null; // the client has not reconnected yet
                }
            },
            value => value is not null, "the queue server to answer again", TimeSpan.FromSeconds(60)))!;

    private static async Task<bool> AckAsync(ReliableQueue queue, LeasedMessage message, ConcurrentDictionary<string, bool> ackTried)
    {
        ackTried[message.Id] = true;
        return await queue.AckAsync(message.Id, message.LeaseToken);
    }

    /// <summary>The ids in each structure of the queue (its keys as <c>QueueKeys</c> names them), read in one transaction.</summary>
    private static async Task<Dictionary<string, HashSet<string>>> PlacesAsync(IConnectionMultiplexer redis, string name)
    {
        var prefix = $"faas:q:{{{name}}}:";
        var transaction = redis.GetDatabase().CreateTransaction();
        var ready = transaction.ListRangeAsync(prefix + "ready");
        var leases = transaction.SortedSetRangeByRankAsync(prefix + "leases");
        var delayed = transaction.SortedSetRangeByRankAsync(prefix + "delayed");
        var bodies = transaction.HashKeysAsync(prefix + "bodies");
        Assert.True(await transaction.ExecuteAsync());
        static HashSet<string> Ids(RedisValue[] values) => values.Select(v => (string)v!).ToHashSet(StringComparer.Ordinal);
        var readyIds = await ready;
        return new()
        {
            ["ready"] = Ids(readyIds),
            ["ready twice"] = readyIds.GroupBy(v => (string)v!).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal),
            ["leased"] = Ids(await leases),
            ["delayed"] = Ids(await delayed),
            ["bodies"] = Ids(await bodies),
        };
    }

    private ServiceHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{RedisOptions.ConnectionName}"] = app.GetConnectionString(RedisOptions.ConnectionName),
        });
        builder.AddFaasRedis().AddReliableQueues();
        return new ServiceHost(builder.Build());
    }
}
