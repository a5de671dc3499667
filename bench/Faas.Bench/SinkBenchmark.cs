using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Faas.Bench.Load;
using Faas.Protos.V1;
using Faas.Testing;
using Google.Api;
using Google.Protobuf;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// Sinks, in one run of one mesh. Hand-off: the same echo module through the mesh to a built-in worker the scheduler
/// pushes to, and to a worker that pulls its tasks from the sink manager (same executor, same machine, as many slots as
/// the two built-in workers together), so the difference is the pull protocol's hand-off. Failover: a built-in worker running an asynchronous invocation is frozen
/// (SIGSTOP: its connections stay open, it just stops answering and heartbeating), and the time until the invocation's
/// next attempt starts on the other worker is measured against the heartbeat interval.
/// </summary>
[UnsupportedOSPlatform("windows")]
public static class SinkBenchmark
{
    /// <summary>The built-in workers offer this much memory to functions, so a function of <see cref="PulledMemoryMb"/> only fits the pulling worker.</summary>
    private const int BuiltInMemoryMb = 256;

    private const int PulledMemoryMb = 512;

    public static async Task RunAsync(BenchOptions options, int failovers, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine("[grey]Starting the mesh with 2 built-in workers…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o =>
        {
            o.Workers = 2;
            o.ConfigureAppHost = appHost => appHost.ServiceEnvironment["Sink__MemoryMb"] = BuiltInMemoryMb.ToString(CultureInfo.InvariantCulture);
        });
        await app.StartAsync(cancellationToken);
        using var rest = app.CreateHttpClient("gateway", "http");
        using var gateway = app.CreateGatewayChannel();

        using var pullWorker = await StartPullWorkerAsync(app, rest, cancellationToken);
        try
        {
            var handOff = await MeasureHandOffAsync(options, gateway, rest, cancellationToken);
            var failover = await MeasureFailoverAsync(app, rest, failovers, cancellationToken);
            await ReportAsync(options, handOff, failover, cancellationToken);
        }
        finally
        {
            pullWorker.Kill(entireProcessTree: true);
            await pullWorker.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>A worker in pull mode: no push address, no database; it gets tasks and modules from the sink manager.</summary>
    private static async Task<Process> StartPullWorkerAsync(FaasTestApp app, HttpClient rest, CancellationToken cancellationToken)
    {
        using var created = await rest.PostAsJsonAsync("/v1/sinkCredentials", new { name = "bench-pull-worker" }, cancellationToken);
        created.EnsureSuccessStatusCode();
        var credential = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("secret").GetString()!;

        // Started as the AppHost starts worker-0, with its environment, then turned into a pulling worker.
        var worker = await app.GetProcessAsync("worker-0");
        var start = new ProcessStartInfo(worker.CommandLine[0])
        {
            WorkingDirectory = worker.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in worker.CommandLine.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in worker.Environment)
        {
            start.Environment[key] = value;
        }

        start.Environment.Remove("ConnectionStrings__faasdb");
        start.Environment.Remove("Sink__PushAddress");
        start.Environment.Remove("Sink__CredentialFile");
        start.Environment["Sink__Pull"] = "true";
        start.Environment["Sink__Credential"] = credential;
        start.Environment["Sink__MemoryMb"] = "4096";
        // As many execution slots as the two built-in workers together, so both paths have the same capacity.
        start.Environment["Worker__Slots"] = (2 * Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture);
        start.Environment["Worker__WorkerId"] = "pull-worker";
        start.Environment["OTEL_SERVICE_NAME"] = "pull-worker";
        start.Environment["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{LoopbackPort.Free()}";
        start.Environment["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await StateAsync(rest, "pull-worker", cancellationToken) != "SINK_ONLINE")
        {
            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                throw new InvalidOperationException("The pulling worker did not register with the sink manager.");
            }

            await Task.Delay(200, cancellationToken);
        }

        AnsiConsole.MarkupLine("[grey]A worker in pull mode registered (no database, tasks and modules from the sink manager).[/]");
        return process;
    }

    private static async Task<List<LoadResult>> MeasureHandOffAsync(BenchOptions options, Grpc.Net.Client.GrpcChannel gateway, HttpClient rest, CancellationToken cancellationToken)
    {
        var functions = new Functions.FunctionsClient(gateway);
        var source = await BenchFunctions.WatAsync("echo", cancellationToken);
        foreach (var (name, memory) in new[] { ("bench-pushed", 128u), ("bench-pulled", (uint)PulledMemoryMb) })
        {
            await functions.DeployFunctionAsync(new DeployFunctionRequest
            {
                Name = name,
                Language = "wat",
                Source = source,
                Config = new FunctionConfig { MemoryMb = memory, MaxConcurrency = 1024, QueueCapacity = 10_000 },
            }, cancellationToken: cancellationToken);
        }

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var payload = ByteString.CopyFrom(bytes);
        var invocations = new Invocations.InvocationsClient(gateway);

        // Each path runs where it should: the built-in workers for the small function, the pulling worker for the big one.
        foreach (var (name, expected) in new[] { ("bench-pushed", "worker-"), ("bench-pulled", "pull-worker") })
        {
            using var response = await rest.PostAsync($"/v1/functions/{name}:invoke", new ByteArrayContent(bytes), cancellationToken);
            response.EnsureSuccessStatusCode();
            var id = response.Headers.GetValues("x-execution-id").Single();
            await Task.Delay(1500, cancellationToken); // the execution record is written in batches
            var execution = await rest.GetFromJsonAsync<JsonElement>($"/v1/executions/{id}", cancellationToken);
            var worker = execution.GetProperty("worker").GetString() ?? "";
            ResultTable.Check(worker.StartsWith(expected, StringComparison.Ordinal), $"{name} ran on {worker}, not {expected}*");
        }

        var results = new List<LoadResult>();
        foreach (var concurrency in options.Concurrency)
        {
            foreach (var (scenario, name) in new[] { ("push: built-in worker", "bench-pushed"), ("pull: pulling worker", "bench-pulled") })
            {
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(scenario)} at concurrency {concurrency}…[/]");
                results.Add(await LoadRunner.RunAsync(scenario, concurrency, options.Warmup, options.Duration, async ct =>
                {
                    var body = await invocations.InvokeAsync(new InvokeRequest { Name = name, Body = new HttpBody { Data = payload } }, cancellationToken: ct);
                    ResultTable.Check(body.Data.Length == bytes.Length, scenario);
                }, cancellationToken));
            }
        }

        return results;
    }

    private static async Task<List<double>> MeasureFailoverAsync(FaasTestApp app, HttpClient rest, int rounds, CancellationToken cancellationToken)
    {
        using (var deploy = await rest.PostAsJsonAsync("/v1/functions", new { name = "bench-busy", language = "wat", source = await BenchFunctions.WatAsync("busy", cancellationToken), config = new { timeoutMs = 60_000, maxRetries = 5 } }, cancellationToken))
        {
            deploy.EnsureSuccessStatusCode();
        }

        var seconds = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            using var enqueued = await rest.PostAsync("/v1/functions/bench-busy:enqueue", new StringContent(""), cancellationToken);
            var id = (await enqueued.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("executionId").GetString()!;
            var running = await PollAsync(rest, id, e => e.GetProperty("status").GetString() == "RUNNING" && e.TryGetProperty("worker", out var w) && w.GetString()!.StartsWith("worker-", StringComparison.Ordinal), cancellationToken);
            var victim = running.GetProperty("worker").GetString()!;
            var pid = app.GetResource(victim).Pid!.Value;

            var frozenAt = DateTimeOffset.UtcNow;
            Signal(pid, "STOP");
            try
            {
                var moved = await PollAsync(rest, id, e => e.GetProperty("attempts").GetArrayLength() >= 2, cancellationToken);
                var second = moved.GetProperty("attempts")[1];
                var startedElsewhere = second.GetProperty("startedAt").GetDateTimeOffset();
                var elapsed = (startedElsewhere - frozenAt).TotalSeconds;
                seconds.Add(elapsed);
                AnsiConsole.MarkupLine($"[grey]failover {round}: {victim} frozen, attempt 2 started on {Markup.Escape(second.GetProperty("worker").GetString() ?? "")} after {elapsed:0.000} s[/]");
                await PollAsync(rest, id, e => e.GetProperty("status").GetString() == "SUCCEEDED", cancellationToken);
            }
            finally
            {
                Signal(pid, "CONT");
            }

            while (await StateAsync(rest, victim, cancellationToken) != "SINK_ONLINE")
            {
                await Task.Delay(100, cancellationToken);
            }

            await Task.Delay(1500, cancellationToken);
        }

        return seconds;
    }

    private static async Task ReportAsync(BenchOptions options, List<LoadResult> handOff, List<double> failover, CancellationToken cancellationToken)
    {
        var (table, markdown) = ResultTable.Render(handOff, "calls");
        var lines = new List<string>();
        foreach (var concurrency in options.Concurrency)
        {
            var push = handOff.First(r => r.Concurrency == concurrency && r.Scenario.StartsWith("push", StringComparison.Ordinal));
            var pull = handOff.First(r => r.Concurrency == concurrency && r.Scenario.StartsWith("pull", StringComparison.Ordinal));
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"concurrency {concurrency}: pull p50 {pull.PercentileMillis(50):0.000} ms vs push {push.PercentileMillis(50):0.000} ms " +
                $"(hand-off +{pull.PercentileMillis(50) - push.PercentileMillis(50):0.000} ms, ×{pull.PercentileMillis(50) / push.PercentileMillis(50):0.00}); " +
                $"throughput pull/push {pull.Throughput / push.Throughput:0.00} ({pull.Throughput:0}/s vs {push.Throughput:0}/s)"));
        }

        if (failover.Count > 0)
        {
            var sorted = failover.Order().ToList();
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"failover (worker frozen → its async invocation's next attempt started on the other worker), {failover.Count} rounds: " +
                $"median {sorted[sorted.Count / 2]:0.000} s, max {sorted[^1]:0.000} s = {sorted[^1] / 1.0:0.00}× the heartbeat interval of 1 s (target < 3×)"));
        }

        await ResultTable.PublishAsync(table, markdown, lines, options.MarkdownPath, cancellationToken);
    }

    private static async Task<JsonElement> PollAsync(HttpClient rest, string id, Func<JsonElement, bool> done, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var execution = await rest.GetFromJsonAsync<JsonElement>($"/v1/executions/{id}", cancellationToken);
            if (done(execution))
            {
                return execution;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Execution {id} did not get there: {execution}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static async Task<string?> StateAsync(HttpClient rest, string name, CancellationToken cancellationToken)
    {
        var json = await rest.GetFromJsonAsync<JsonElement>("/v1/sinks", cancellationToken);
        return json.TryGetProperty("sinks", out var sinks)
            ? sinks.EnumerateArray().Where(s => s.GetProperty("name").GetString() == name).Select(s => s.GetProperty("state").GetString()).FirstOrDefault()
            : null;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}"))!;
        kill.WaitForExit();
    }
}
