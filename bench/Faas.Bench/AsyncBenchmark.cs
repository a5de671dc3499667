using System.Diagnostics;
using Faas.Bench.Load;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Npgsql;
using Spectre.Console;
using StackExchange.Redis;

namespace Faas.Bench;

/// <summary>
/// Asynchronous invoke of the echo sample: how fast the gateway accepts enqueues (gRPC and REST), and how
/// fast the mesh completes them end to end (accepted → run on a worker → SUCCEEDED committed in PostgreSQL).
/// The floor, in the same run: raw LPUSH and RPOP of the same payload through the same Redis client
/// library against the same queue server. Both enqueue paths, and the consumption behind them, are warmed up first:
/// the figures are the mesh's steady state, not its JIT warm-up.
/// </summary>
public static class AsyncBenchmark
{
    private const string FunctionName = "bench-async-echo";
    private static readonly TimeSpan PathWarmup = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(BenchOptions options, bool acceptanceOnly, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o =>
        {
            o.Workers = options.Workers;
            if (acceptanceOnly)
            {
                // Nothing consumes: the gateway and the queue server have the machine to themselves.
                o.ConfigureAppHost = a => a.ServiceEnvironment["Scheduler__Async__Enabled"] = "false";
            }
        });
        await app.StartAsync(cancellationToken);

        using var gateway = app.CreateGatewayChannel();
        using var rest = app.CreateHttpClient("gateway", "http");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(app.GetConnectionString("redis"));
        await using var database = NpgsqlDataSource.Create(app.GetConnectionString("faasdb"));

        await BenchFunctions.DeployEchoAsync(gateway, FunctionName, new FunctionConfig { MaxConcurrency = 256 }, cancellationToken);

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var payload = ByteString.CopyFrom(bytes);
        var invocations = new Invocations.InvocationsClient(gateway);
        var concurrency = options.Concurrency.Max();
        var results = new List<LoadResult>();
        var db = redis.GetDatabase();
        RedisKey floorKey = "faas:bench:floor";
        await db.KeyDeleteAsync(floorKey);

        AnsiConsole.MarkupLine("[grey]floor: LPUSH…[/]");
        results.Add(await LoadRunner.RunAsync("floor: LPUSH", concurrency, options.Warmup, options.Duration, async _ =>
            await db.ListLeftPushAsync(floorKey, bytes), cancellationToken));
        AnsiConsole.MarkupLine("[grey]floor: RPOP…[/]");
        results.Add(await LoadRunner.RunAsync("floor: RPOP", concurrency, TimeSpan.Zero, options.Duration / 2, async _ =>
            ResultTable.Check(!(await db.ListRightPopAsync(floorKey)).IsNull, "RPOP of a filled list"), cancellationToken));
        await db.KeyDeleteAsync(floorKey);

        long accepted = 0;
        var enqueues = new (string Name, Func<CancellationToken, Task> Call)[]
        {
            ("enqueue: gRPC", async ct =>
            {
                var response = await invocations.EnqueueAsync(new EnqueueRequest { Name = FunctionName, Body = new HttpBody { Data = payload } }, cancellationToken: ct);
                ResultTable.Check(response.Status == ExecutionStatus.Queued, "enqueue gRPC");
                Interlocked.Increment(ref accepted);
            }),
            ("enqueue: REST", async ct =>
            {
                using var response = await rest.PostAsync($"/v1/functions/{FunctionName}:enqueue", new ByteArrayContent(bytes), ct);
                ResultTable.Check(response.StatusCode == System.Net.HttpStatusCode.Accepted, "enqueue REST");
                Interlocked.Increment(ref accepted);
            }),
        };

        // The services' first calls run unoptimised code (JIT tiering settles after some thousands of calls, and the
        // gateway's two paths are only called in their own scenarios): warm both paths, and the consumption behind them,
        // before measuring; the warm-up's invocations finish before the measured ones begin.
        AnsiConsole.MarkupLine($"[grey]Warming up both enqueue paths for {PathWarmup.TotalSeconds:0} s each{(acceptanceOnly ? "" : ", and their consumption")}…[/]");
        foreach (var (_, call) in enqueues)
        {
            await LoadRunner.RunAsync("warm-up", 8, TimeSpan.Zero, PathWarmup, call, cancellationToken);
        }

        var warmedUp = Interlocked.Exchange(ref accepted, 0);
        if (!acceptanceOnly)
        {
            await WaitForSucceededAsync(database, warmedUp, cancellationToken);
        }

        var first = Stopwatch.GetTimestamp();
        foreach (var (name, call) in enqueues)
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(name)}…[/]");
            results.Add(await LoadRunner.RunAsync(name, concurrency, options.Warmup, options.Duration, call, cancellationToken));
        }

        AnsiConsole.MarkupLine(acceptanceOnly ? "[grey]acceptance only: nothing consumes[/]" : $"[grey]waiting for all {accepted} accepted invocations to succeed…[/]");
        TimeSpan? endToEnd = null;
        if (!acceptanceOnly)
        {
            await WaitForSucceededAsync(database, warmedUp + accepted, cancellationToken);
            endToEnd = Stopwatch.GetElapsedTime(first);
        }

        var report = Report(results, accepted, endToEnd, concurrency);
        AnsiConsole.Write(report.Table);
        AnsiConsole.WriteLine();
        foreach (var line in report.Lines)
        {
            AnsiConsole.WriteLine(line);
        }

        if (options.MarkdownPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.Markdown, cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Markdown written to {Markup.Escape(path)}[/]");
        }

    }

    private static async Task WaitForSucceededAsync(NpgsqlDataSource database, long count, CancellationToken cancellationToken)
    {
        while (await SucceededAsync(database, cancellationToken) < count)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task<long> SucceededAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT count(*) FROM executions WHERE function_name = $1 AND status = 'Succeeded'");
        command.Parameters.AddWithValue(FunctionName);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static (Table Table, IReadOnlyList<string> Lines, string Markdown) Report(
        IReadOnlyList<LoadResult> results, long accepted, TimeSpan? endToEnd, int concurrency)
    {
        var (table, markdown) = ResultTable.Render(results, "ops");

        var lpush = results.Single(r => r.Scenario == "floor: LPUSH");
        var rpop = results.Single(r => r.Scenario == "floor: RPOP");
        var lines = new List<string>();
        foreach (var enqueue in results.Where(r => r.Scenario.StartsWith("enqueue", StringComparison.Ordinal)))
        {
            lines.Add($"{enqueue.Scenario} acceptance at concurrency {concurrency}: {enqueue.Throughput:0}/s = {enqueue.Throughput / lpush.Throughput:0.00} of the LPUSH floor ({lpush.Throughput:0}/s); target ≥ 10,000/s");
        }

        if (endToEnd is { } elapsed)
        {
            var completionRate = accepted / elapsed.TotalSeconds;
            lines.Add($"end-to-end completion: {accepted} accepted invocations all SUCCEEDED {elapsed.TotalSeconds:0.0} s after the first measured enqueue = {completionRate:0}/s = {completionRate / rpop.Throughput:0.000} of the RPOP floor ({rpop.Throughput:0}/s); target ≥ 3,000/s");
        }
        markdown.AppendLine();
        foreach (var line in lines)
        {
            markdown.AppendLine("- " + line);
        }

        return (table, lines, markdown.ToString());
    }

}
