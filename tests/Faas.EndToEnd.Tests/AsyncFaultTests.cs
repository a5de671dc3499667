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
/// Kills the scheduler and a worker with SIGKILL and restarts the queue server while thousands of
/// asynchronous invocations are in flight, then checks that every accepted one finished. Has its own mesh,
/// with short leases so a dead consumer's work comes back quickly.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AsyncFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Invocations = 3_000;
    private FaasTestApp app = null!;
    private GrpcChannel channel = null!;

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
        channel = app.CreateGatewayChannel();
    }

    public async Task DisposeAsync()
    {
        channel.Dispose();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Every_accepted_invocation_finishes_despite_killed_consumers_and_a_restarted_queue_server()
    {
        // 20 ms per run: work is in flight whenever a fault hits, however fast the mesh consumes.
        await DeployAsync("fault-nap", "nap", new { maxRetries = 10, maxConcurrency = 32 });

        var client = new Invocations.InvocationsClient(channel);
        var accepted = new ConcurrentBag<Guid>();
        var refused = 0;
        var next = 0;
        var faults = new List<string>();
        var faultsDone = new TaskCompletionSource();

        await using var database = NpgsqlDataSource.Create(app.GetConnectionString("faasdb"));

        async Task InjectFaultsAsync()
        {
            await WaitForAcceptedAsync(accepted, Invocations / 5);
            var consumed = await WaitForWorkInFlightAsync(database, accepted, 0);
            Kill("scheduler");
            faults.Add($"scheduler killed after {accepted.Count} accepted");
            await WaitForAcceptedAsync(accepted, 2 * Invocations / 5);
            await WaitForWorkInFlightAsync(database, accepted, consumed);
            Kill("worker-0");
            faults.Add($"worker-0 killed after {accepted.Count} accepted");
            await WaitForAcceptedAsync(accepted, 3 * Invocations / 5);
            await app.RestartResourceAsync("redis");
            faults.Add($"queue server restarted after {accepted.Count} accepted");
            faultsDone.SetResult();
        }

        async Task SendAsync()
        {
            while (Interlocked.Increment(ref next) <= Invocations)
            {
                while (true)
                {
                    try
                    {
                        var response = await client.EnqueueAsync(
                            new EnqueueRequest { Name = "fault-nap", Body = new Google.Api.HttpBody { Data = ByteString.CopyFromUtf8("x") } },
                            deadline: DateTime.UtcNow.AddSeconds(30));
                        accepted.Add(Guid.Parse(response.ExecutionId));
                        break;
                    }
                    catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
                    {
                        // Not accepted (the queue server is restarting): the client tries again, as a real one would.
                        Interlocked.Increment(ref refused);
                        await Task.Delay(50);
                    }
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var injector = Task.Run(InjectFaultsAsync);
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(SendAsync)));
        var enqueueTime = clock.Elapsed;
        await faultsDone.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await injector;

        var ids = accepted.ToArray();
        Assert.Equal(Invocations, ids.Length);
        Assert.Equal(Invocations, ids.Distinct().Count());

        var statuses = await MeshFixture.EventuallyAsync(
            () => StatusesAsync(database, ids),
            s => s.Where(kv => kv.Key is "Succeeded" or "DeadLettered" or "Failed" or "TimedOut").Sum(kv => kv.Value) == ids.Length,
            TimeSpan.FromSeconds(240));
        var finishTime = clock.Elapsed;

        var (redelivered, twiceSucceeded, maxAttempts) = await AttemptStatsAsync(database, ids);
        output.WriteLine($"{ids.Length} accepted in {enqueueTime.TotalSeconds:0.0} s ({refused} refused while the queue server restarted); all finished after {finishTime.TotalSeconds:0.0} s");
        output.WriteLine(string.Join("; ", faults));
        output.WriteLine($"statuses: {string.Join(", ", statuses.Select(kv => $"{kv.Key} {kv.Value}"))}");
        output.WriteLine($"executions with more than one attempt: {redelivered}; ran to completion twice (a lease expired while it ran): {twiceSucceeded}; most attempts: {maxAttempts}");
        if (statuses.GetValueOrDefault("Succeeded") != ids.Length)
        {
            // What the mesh looked like when it stopped finishing work: every resource and the consumers' last words.
            output.WriteLine(string.Join(Environment.NewLine, app.GetResources().Select(r => $"{r} restarts {r.Restarts} exit {r.ExitCode}")));
            foreach (var resource in new[] { "scheduler", "worker-0", "redis" })
            {
                var log = app.GetConsoleLog(resource);
                output.WriteLine($"--- {resource}, last 6,000 characters of its console log:");
                output.WriteLine(log.Length > 6_000 ? log[^6_000..] : log);
            }
        }


        Assert.Equal(ids.Length, statuses.GetValueOrDefault("Succeeded")); // none lost, none dead: nap never fails by itself
        Assert.Equal(3, faults.Count);
        Assert.True(twiceSucceeded <= redelivered, "a second successful run needs a redelivery");
        Assert.True(redelivered > 0, "the faults should have forced some redeliveries");
    }

    [Fact]
    public async Task A_run_longer_than_its_lease_keeps_its_message_and_runs_once()
    {
        // 5 s runs, 3 s leases, a reaper every 0.5 s: only the renewals keep the messages from coming back.
        await DeployAsync("long-doze", "doze", new { maxRetries = 3, timeoutMs = 20_000 });

        var client = new Invocations.InvocationsClient(channel);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var response = await client.EnqueueAsync(new EnqueueRequest { Name = "long-doze", Body = new Google.Api.HttpBody { Data = ByteString.CopyFromUtf8("x") } });
            ids.Add(Guid.Parse(response.ExecutionId));
        }

        await using var database = NpgsqlDataSource.Create(app.GetConnectionString("faasdb"));
        var statuses = await MeshFixture.EventuallyAsync(
            () => StatusesAsync(database, [.. ids]), s => s.GetValueOrDefault("Succeeded") == ids.Count, TimeSpan.FromSeconds(60));
        var (redelivered, _, maxAttempts) = await AttemptStatsAsync(database, [.. ids]);

        Assert.Equal(ids.Count, statuses.GetValueOrDefault("Succeeded"));
        Assert.Equal((0L, 1), (redelivered, maxAttempts));
    }

    [Fact]
    [Trait("Category", "Security")]
    public async Task An_attempt_cut_short_by_a_killed_scheduler_counts_and_with_none_left_the_invocation_is_dead_lettered()
    {
        // One attempt allowed (maxRetries 0); the scheduler running it dies, so the attempt leaves no result and the
        // message comes back when its lease runs out. Running it again would be a second attempt. A 30 s run: the
        // RUNNING record reaches the database through the journal, which on a loaded machine can lag by seconds, so a
        // shorter run could end before the test sees it start.
        await DeployAsync("slumber-once", "slumber", new { maxRetries = 0, timeoutMs = 60_000 });
        var client = new Invocations.InvocationsClient(channel);
        var id = Guid.Parse((await client.EnqueueAsync(new EnqueueRequest { Name = "slumber-once", Body = new Google.Api.HttpBody { Data = ByteString.CopyFromUtf8("x") } })).ExecutionId);
        await using var database = NpgsqlDataSource.Create(app.GetConnectionString("faasdb"));
        await MeshFixture.EventuallyAsync(() => StatusesAsync(database, [id]), s => s.ContainsKey("Running"), TimeSpan.FromSeconds(30));

        Kill("scheduler");
        var killed = Stopwatch.StartNew();

        var statuses = await MeshFixture.EventuallyAsync(
            () => StatusesAsync(database, [id]), s => s.ContainsKey("DeadLettered") || s.ContainsKey("Succeeded"), TimeSpan.FromSeconds(90));
        output.WriteLine($"finished {killed.ElapsedMilliseconds} ms after the kill");
        Assert.Equal(["DeadLettered"], statuses.Keys);
        var execution = await new Executions.ExecutionsClient(channel).GetExecutionAsync(new GetExecutionRequest { Id = id.ToString() });
        var attempt = Assert.Single(execution.Attempts);
        Assert.Equal("NO_RESULT", attempt.Outcome);
        Assert.Contains("ended without a result", execution.Error);
    }

    private async Task DeployAsync(string name, string sample, object config)
    {
        using var rest = app.CreateHttpClient("gateway", "http");
        await MeshFixture.DeployAsync(rest, name, sample, config);
    }

    private void Kill(string resource)
    {
        using var process = Process.GetProcessById(app.GetResource(resource).Pid!.Value);
        process.Kill();
    }

    private static async Task WaitForAcceptedAsync(ConcurrentBag<Guid> accepted, int count)
    {
        while (accepted.Count < count)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Waits until the consumers are running these invocations (more have succeeded than <paramref name="consumedBefore"/>)
    /// and more are waiting than they can hold at once, so a fault now hits work in flight; returns how many succeeded.
    /// </summary>
    private static async Task<long> WaitForWorkInFlightAsync(NpgsqlDataSource database, ConcurrentBag<Guid> accepted, long consumedBefore)
    {
        while (true)
        {
            var ids = accepted.ToArray();
            var succeeded = (await StatusesAsync(database, ids)).GetValueOrDefault("Succeeded");
            if (succeeded > consumedBefore && ids.Length - succeeded >= 64)
            {
                return succeeded;
            }

            await Task.Delay(20);
        }
    }

    private static async Task<Dictionary<string, long>> StatusesAsync(NpgsqlDataSource database, Guid[] ids)
    {
        await using var command = database.CreateCommand("SELECT status, count(*) FROM executions WHERE id = ANY($1) GROUP BY status");
        command.Parameters.AddWithValue(ids);
        var result = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = reader.GetInt64(1);
        }

        return result;
    }

    private static async Task<(long Redelivered, long TwiceSucceeded, int MaxAttempts)> AttemptStatsAsync(NpgsqlDataSource database, Guid[] ids)
    {
        await using var command = database.CreateCommand(
            """
            SELECT count(*) FILTER (WHERE attempts > 1),
                   count(*) FILTER (WHERE (SELECT count(*) FROM jsonb_each(attempt_log) a WHERE a.value ->> 'outcome' = 'OK') > 1),
                   coalesce(max(attempts), 0)
            FROM executions WHERE id = ANY($1)
            """);
        command.Parameters.AddWithValue(ids);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2));
    }
}
