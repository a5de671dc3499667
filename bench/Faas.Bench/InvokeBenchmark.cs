using Faas.Bench.Load;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// Synchronous invoke of the echo sample through the whole mesh (gateway → scheduler → worker), over
/// gRPC and REST, and in the same run the floor: the same module on the same worker called
/// directly over gRPC, with no gateway or scheduler in between.
/// </summary>
public static class InvokeBenchmark
{
    private const string FunctionName = "bench-echo";
    private static readonly TimeSpan PathWarmup = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o => o.Workers = options.Workers);
        await app.StartAsync(cancellationToken);

        using var gateway = app.CreateGatewayChannel();
        // The floor: the worker called directly, as the scheduler calls it (with a service token).
        using var worker = app.CreateServiceChannel("worker-0");
        // One hop more: the scheduler called directly, as the gateway calls it.
        using var schedulerChannel = app.CreateServiceChannel("scheduler");
        using var rest = app.CreateHttpClient("gateway", "http");
        // The path without the work: two relays in front of the same worker, in their own processes.
        await using var relays = await RelayChain.StartAsync(app, "worker-0", options, cancellationToken);
        using var relayChannel = Grpc.Net.Client.GrpcChannel.ForAddress(relays.Front);

        var version = await BenchFunctions.DeployEchoAsync(gateway, FunctionName, new FunctionConfig { MaxConcurrency = 1024, QueueCapacity = 10_000 }, cancellationToken);

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var payload = ByteString.CopyFrom(bytes);
        var invocations = new Invocations.InvocationsClient(gateway);
        var runtime = new Protos.V1.PushedSink.PushedSinkClient(worker);
        var relay = new Protos.V1.PushedSink.PushedSinkClient(relayChannel);
        var scheduler = new Protos.V1.Scheduler.SchedulerClient(schedulerChannel);
        var me = await new Auth.AuthClient(gateway).WhoAmIAsync(new WhoAmIRequest(), cancellationToken: cancellationToken);
        var spec = new FunctionSpec
        {
            TenantId = me.TenantId, FunctionId = "bench", Name = FunctionName, Version = version.Version,
            ModuleSha256 = version.ModuleSha256, TimeoutMs = version.Config.TimeoutMs, MemoryMb = version.Config.MemoryMb,
            MaxConcurrency = version.Config.MaxConcurrency, QueueCapacity = version.Config.QueueCapacity,
        };
        var overhead = new WorkerOverhead();

        var scenarios = new (string Name, Func<CancellationToken, Task> Call)[]
        {
            ("floor: worker gRPC", async ct =>
            {
                // An execution id per call, as the scheduler sends (the worker refuses a call without one).
                var response = await runtime.ExecuteAsync(new ExecuteRequest { Function = spec, Payload = payload, ExecutionId = Guid.CreateVersion7().ToString() }, cancellationToken: ct);
                ResultTable.Check(response.Outcome == ExecutionOutcome.Ok && response.Output.Length == bytes.Length, "floor");
                overhead.Add(response);
            }),
            ("relays: the mesh's hops, no work", async ct =>
            {
                var response = await relay.ExecuteAsync(new ExecuteRequest { Function = spec, Payload = payload, ExecutionId = Guid.CreateVersion7().ToString() }, cancellationToken: ct);
                ResultTable.Check(response.Outcome == ExecutionOutcome.Ok && response.Output.Length == bytes.Length, "relays");
            }),
            ("scheduler: Dispatch gRPC", async ct =>
            {
                var response = await scheduler.DispatchAsync(new DispatchRequest { ExecutionId = Guid.NewGuid().ToString("N"), Function = spec, Payload = payload }, cancellationToken: ct);
                ResultTable.Check(response.Result.Outcome == ExecutionOutcome.Ok && response.Result.Output.Length == bytes.Length, "scheduler");
            }),
            ("mesh: gRPC", async ct =>
            {
                var body = await invocations.InvokeAsync(new InvokeRequest { Name = FunctionName, Body = new HttpBody { Data = payload } }, cancellationToken: ct);
                ResultTable.Check(body.Data.Length == bytes.Length, "mesh gRPC");
            }),
            ("mesh: REST", async ct =>
            {
                using var response = await rest.PostAsync($"/v1/functions/{FunctionName}:invoke", new ByteArrayContent(bytes), ct);
                var output = await response.Content.ReadAsByteArrayAsync(ct);
                ResultTable.Check(response.IsSuccessStatusCode && output.Length == bytes.Length, "mesh REST");
            }),
        };

        // The services' first calls run unoptimised code, and the gateway's paths are only called in their own
        // scenarios: warm every path (JIT tiering settles after some thousands of calls) before measuring any.
        AnsiConsole.MarkupLine($"[grey]Warming up every path for {PathWarmup.TotalSeconds:0} s each…[/]");
        foreach (var (_, call) in scenarios)
        {
            await LoadRunner.RunAsync("warm-up", 8, TimeSpan.Zero, PathWarmup, call, cancellationToken);
        }

        var results = new List<LoadResult>();
        foreach (var concurrency in options.Concurrency)
        {
            foreach (var (name, call) in scenarios)
            {
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(name)} at concurrency {concurrency}…[/]");
                overhead.Reset();
                var result = await LoadRunner.RunAsync(name, concurrency, options.Warmup, options.Duration, call, cancellationToken);
                results.Add(result);
                if (name.StartsWith("floor", StringComparison.Ordinal) && concurrency == options.Concurrency[0])
                {
                    overhead.Freeze();
                }
            }
        }

        var report = Report(results, overhead, options);
        AnsiConsole.Write(report.Table);
        AnsiConsole.WriteLine();
        foreach (var line in report.Ratios)
        {
            AnsiConsole.WriteLine(line);
        }

        if (options.MarkdownPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.Markdown, cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Markdown written to {Markup.Escape(path)}[/]");
        }
    }

    private static (Table Table, IReadOnlyList<string> Ratios, string Markdown) Report(IReadOnlyList<LoadResult> results, WorkerOverhead overhead, BenchOptions options)
    {
        var (table, markdown) = ResultTable.Render(results, "calls");

        LoadResult? Find(string prefix, int c) => results.FirstOrDefault(r => r.Scenario.StartsWith(prefix, StringComparison.Ordinal) && r.Concurrency == c);
        var ratios = new List<string>();
        var low = options.Concurrency.Min();
        var high = options.Concurrency.Max();
        if (Find("mesh: gRPC", low) is { } meshLow && Find("floor", low) is { } floorLow)
        {
            ratios.Add($"mesh gRPC p50 at concurrency {low}: {meshLow.PercentileMillis(50):0.000} ms (floor {floorLow.PercentileMillis(50):0.000} ms; target < 1 ms)");
        }

        if (Find("mesh: REST", low) is { } restLow)
        {
            ratios.Add($"mesh REST p50 at concurrency {low}: {restLow.PercentileMillis(50):0.000} ms");
        }

        if (Find("floor", high) is { } floorHigh)
        {
            foreach (var mesh in new[] { Find("mesh: gRPC", high), Find("mesh: REST", high) }.OfType<LoadResult>())
            {
                ratios.Add($"{mesh.Scenario} throughput at concurrency {high} / floor: {mesh.Throughput / floorHigh.Throughput:0.00} ({mesh.Throughput:0}/s vs {floorHigh.Throughput:0}/s; target ≥ 0.50)");
            }

            if (Find("relays", high) is { } relaysHigh)
            {
                ratios.Add($"relays (the mesh's hops with no work) at concurrency {high} / floor: {relaysHigh.Throughput / floorHigh.Throughput:0.00} ({relaysHigh.Throughput:0}/s): the most any mesh on this path could reach");
            }
        }

        ratios.Add($"in-worker overhead beyond the function's own run: {overhead.MeanOverheadMicros:0.0} µs mean over {overhead.Count} calls (function run {overhead.MeanRunMicros:0.0} µs; target < 50 µs)");

        markdown.AppendLine();
        foreach (var line in ratios)
        {
            markdown.AppendLine("- " + line);
        }

        return (table, ratios, markdown.ToString());
    }

    /// <summary>What the worker reports per call: time in its handler beyond the function's own run.</summary>
    private sealed class WorkerOverhead
    {
        private long count, overheadMicros, runMicros;
        private bool frozen;

        public long Count => count;

        public double MeanOverheadMicros => count == 0 ? 0 : (double)overheadMicros / count;

        public double MeanRunMicros => count == 0 ? 0 : (double)runMicros / count;

        public void Add(ExecuteResponse response)
        {
            if (frozen)
            {
                return;
            }

            Interlocked.Increment(ref count);
            Interlocked.Add(ref overheadMicros, (long)(response.HandlerMicros - response.RunMicros));
            Interlocked.Add(ref runMicros, (long)response.RunMicros);
        }

        public void Reset()
        {
            if (!frozen)
            {
                count = overheadMicros = runMicros = 0;
            }
        }

        public void Freeze() => frozen = true;
    }

}
