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
/// enqueue returned. Has its own AppHost (Garnet persistent, PostgreSQL, no services).
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

        while (acknowledged.Count < 3000)
        {
            await Task.Delay(10);
        }

        var killed = app.Kill("redis");
        await app.WaitForResourceAsync("redis", r => r.IsHealthy && r.Pid != killed);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var present = await Eventually.MatchesAsync(
            async () =>
            {
                try
                {
                    return (await queue.LeaseAsync("check", 1_000_000)).Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
                }
                catch (RedisException)
                {
                    return null; // the client has not reconnected yet
                }
            },
            ids => ids is not null, "the queue server to answer again", TimeSpan.FromSeconds(60));
        var lost = acknowledged.Where(id => !present!.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged enqueues were lost: {string.Join(", ", lost.Take(10))}");
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
