using System.Collections.Concurrent;
using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Testing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using Xunit.Abstractions;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// The mesh heals itself: under a steady stream of asynchronous invocations, every kind of resource is killed with
/// SIGKILL in turn (PostgreSQL, Garnet, the sink manager, the scheduler, the gateway, a worker, the compiler). Each
/// must be started again by the AppHost, service must resume within <see cref="ResumeBound"/> of the kill, and every
/// invocation accepted at any point must finish. Has its own mesh.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SelfHealingTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The stated bound (docs/operations.md) from a kill to the next accepted invocation.</summary>
    private static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Killed in turn; the last kills a service and a dependency it waits for at once: the service's first start again
    /// can fail while its dependency is still down, and must be tried again.
    /// </summary>
    private static readonly string[][] Victims =
        [["postgres"], ["redis"], ["sinkmanager"], ["scheduler"], ["gateway"], ["worker-0"], ["compiler"], ["redis", "scheduler"]];

    private FaasTestApp app = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 2;
            o.ConfigureAppHost = a =>
            {
                a.ServiceEnvironment["Scheduler__Async__LeaseDuration"] = "00:00:03";
                a.ServiceEnvironment["Scheduler__Async__RetryBaseDelay"] = "00:00:00.100";
                a.ServiceEnvironment["Scheduler__Async__MaxRetryDelay"] = "00:00:02";
                a.ServiceEnvironment["Queues__ReaperPeriod"] = "00:00:00.500";
            };
        }).BuildAsync();
        await app.StartAsync();
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Every_resource_killed_in_turn_is_started_again_and_nothing_accepted_is_lost()
    {
        using (var rest = app.CreateHttpClient("gateway"))
        {
            await MeshFixture.DeployAsync(rest, "heal-nap", "nap", new { maxRetries = 20, maxConcurrency = 16 });
        }

        var accepted = new ConcurrentBag<Guid>();
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, 4).Select(_ => Task.Run(() => SendAsync(accepted, stop.Token))).ToList();
        var report = new List<string>();
        try
        {
            foreach (var victims in Victims)
            {
                await WaitForMoreAcceptedAsync(accepted, 20);
                var before = victims.Select(app.GetResource).ToList();
                var killed = victims.Select(app.Kill).ToList();
                var clock = Stopwatch.StartNew();

                var healed = new List<ResourceSnapshot>();
                for (var i = 0; i < victims.Length; i++)
                {
                    healed.Add(await app.WaitForResourceAsync(victims[i], r => r.IsHealthy && r.Pid != killed[i]));
                }

                var healedAfter = clock.Elapsed;
                var count = accepted.Count;
                await WaitForMoreAcceptedAsync(accepted, 5, count, ResumeBound - clock.Elapsed);
                var resumedAfter = clock.Elapsed;
                report.Add($"{string.Join(" and ", victims)}: healthy again after {healedAfter.TotalSeconds:0.0} s (restart {string.Join(", ", healed.Select(h => h.Restarts))}), invocations accepted again after {resumedAfter.TotalSeconds:0.0} s");

                Assert.Equal(before.Select(b => b.Restarts + 1), healed.Select(h => h.Restarts));
                Assert.True(resumedAfter < ResumeBound, report[^1]);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(senders);
            output.WriteLine(string.Join(Environment.NewLine, report));
        }

        var ids = accepted.ToArray();
        await using var database = NpgsqlDataSource.Create(app.GetConnectionString("faasdb"));
        var succeeded = await MeshFixture.EventuallyAsync(() => CountSucceededAsync(database, ids), n => n == ids.Length, TimeSpan.FromSeconds(180));
        output.WriteLine($"{ids.Length} accepted, {succeeded} succeeded");
        if (succeeded != ids.Length)
        {
            output.WriteLine(await DescribeUnfinishedAsync(database, ids));
        }

        Assert.Equal(ids.Length, succeeded);
    }

    /// <summary>Enqueues until stopped; a refusal (the mesh is healing) is tried again, as a real client would.</summary>
    private async Task SendAsync(ConcurrentBag<Guid> accepted, CancellationToken stop)
    {
        GrpcChannel? channel = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    channel ??= app.CreateGatewayChannel();
                    var response = await new Invocations.InvocationsClient(channel).EnqueueAsync(
                        new EnqueueRequest { Name = "heal-nap", Body = new Google.Api.HttpBody { Data = ByteString.CopyFromUtf8("x") } },
                        deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: stop);
                    accepted.Add(Guid.Parse(response.ExecutionId));
                    await Task.Delay(20, stop);
                }
                catch (RpcException e) when (e.StatusCode is not StatusCode.Cancelled || !stop.IsCancellationRequested)
                {
                    await Task.Delay(100, CancellationToken.None);
                }
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
        }
        finally
        {
            channel?.Dispose();
        }
    }

    private static async Task WaitForMoreAcceptedAsync(ConcurrentBag<Guid> accepted, int more, int? from = null, TimeSpan? within = null)
    {
        var target = (from ?? accepted.Count) + more;
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (accepted.Count < target && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>What became of each accepted invocation that did not succeed: no record at all, or its status, attempts and error.</summary>
    private static async Task<string> DescribeUnfinishedAsync(NpgsqlDataSource database, Guid[] ids)
    {
        await using var command = database.CreateCommand(
            "SELECT i, e.status, e.attempts, e.error, e.attempt_log::text FROM unnest(@ids) AS i LEFT JOIN executions e ON e.id = i WHERE e.status IS DISTINCT FROM 'Succeeded'");
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.IsDBNull(1)
                ? $"{reader.GetGuid(0)}: no record"
                : $"{reader.GetGuid(0)}: {reader.GetString(1)} after {reader.GetInt32(2)} attempts; {reader.GetString(3)}; {reader.GetString(4)}");
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static async Task<int> CountSucceededAsync(NpgsqlDataSource database, Guid[] ids)
    {
        try
        {
            await using var command = database.CreateCommand("SELECT count(*) FROM executions WHERE id = ANY(@ids) AND status = 'Succeeded'");
            command.Parameters.AddWithValue("ids", ids);
            return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (NpgsqlException)
        {
            return -1;
        }
    }
}
