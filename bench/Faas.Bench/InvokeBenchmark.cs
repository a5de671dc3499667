using Faas.Bench.Load;
using Faas.Protos.V1;
using Google.Api;
using Google.Protobuf;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// Synchronous invoke of the echo sample through the whole mesh, over gRPC and REST, on both of the gateway's paths in
/// one run: <c>gateway</c> on its default one and <c>gateway-1</c> told to take the scheduler's
/// (<c>Gateway__SyncInvoke=Scheduler</c>: gateway → scheduler → worker). Beside them the floor, the same module on the
/// same worker called directly over gRPC with no gateway or scheduler in between; the scheduler called directly as the
/// gateway calls it; and a relay in front of the worker, the mesh's hop with none of its work. Each scenario is
/// charged the CPU time the mesh's processes spent in its measured period (<see cref="MeshCpu"/>).
/// </summary>
public static class InvokeBenchmark
{
    private const string FunctionName = "bench-echo";
    private static readonly TimeSpan PathWarmup = TimeSpan.FromSeconds(10);

    /// <summary>The gateway setting that selects a synchronous call's path, and the value of the scheduler's path.</summary>
    private const string SyncInvokeSetting = "Gateway__SyncInvoke";
    private const string SchedulerPath = "Scheduler";

    private const string Floor = "floor: worker gRPC";
    private const string Relay = "relay: the mesh's hop, no work";
    private const string Scheduler = "scheduler: Dispatch gRPC";
    private const string MeshGrpc = "mesh: gRPC";
    private const string MeshRest = "mesh: REST";

    /// <summary>
    /// The scenarios of the second gateway: the scheduler's path, or (<c>--second-gateway-env</c>) the default path with
    /// other settings, to measure a gateway setting against the default in one mesh.
    /// </summary>
    private sealed record SecondGateway(string Label)
    {
        public string Grpc => $"{Label}: gRPC";

        public string Rest => $"{Label}: REST";

        public string[] Meshes => [MeshGrpc, MeshRest, Grpc, Rest];

        public static SecondGateway For(BenchOptions options) => options.SecondGatewayEnvironment.Count == 0
            ? new("mesh (scheduler path)")
            : new($"mesh (gateway-1: {string.Join(", ", options.SecondGatewayEnvironment.Select(e => $"{e.Key}={e.Value}"))})");
    }

    public static async Task RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var second = SecondGateway.For(options);
        var (secondGrpc, secondRest) = (second.Grpc, second.Rest);
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s) and two gateways, the second {Markup.Escape(options.SecondGatewayEnvironment.Count == 0 ? "on the scheduler's path" : "on the default path with " + second.Label)}…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o =>
        {
            o.Workers = options.Workers;
            o.Gateways = 2;
            o.GatewayEnvironment[1] = options.SecondGatewayEnvironment.Count == 0
                ? new() { [SyncInvokeSetting] = SchedulerPath }
                : new(options.SecondGatewayEnvironment);
        });
        await app.StartAsync(cancellationToken);

        var (direct, viaScheduler) = (app.Gateways[0], app.Gateways[1]);
        using var gateway = app.CreateGatewayChannel(resourceName: direct);
        using var schedulerPathGateway = app.CreateGatewayChannel(resourceName: viaScheduler);
        using var rest = app.CreateHttpClient(direct, "http");
        using var schedulerPathRest = app.CreateHttpClient(viaScheduler, "http");
        // The floor: the worker called directly, as the scheduler calls it (with a service token).
        using var worker = app.CreateServiceChannel("worker-0");
        // The scheduler called directly, as the gateway on the scheduler's path calls it.
        using var schedulerChannel = app.CreateServiceChannel("scheduler");
        // The path without the work: a relay in front of the same worker, in its own process.
        await using var relays = await RelayChain.StartAsync(app, "worker-0", options, cancellationToken: cancellationToken);
        using var relayChannel = Grpc.Net.Client.GrpcChannel.ForAddress(relays.Front);
        var cpu = MeshCpu.For(app, relays.ProcessIds);

        // Both gateways read the function from the one database.
        var version = await BenchFunctions.DeployEchoAsync(gateway, FunctionName, new FunctionConfig { MaxConcurrency = 1024, QueueCapacity = 10_000 }, cancellationToken);

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var payload = ByteString.CopyFrom(bytes);
        var invocations = new Invocations.InvocationsClient(gateway);
        var schedulerPathInvocations = new Invocations.InvocationsClient(schedulerPathGateway);
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
            (Floor, async ct =>
            {
                // An execution id per call, as the scheduler sends (the worker refuses a call without one).
                var response = await runtime.ExecuteAsync(new ExecuteRequest { Function = spec, Payload = payload, ExecutionId = Guid.CreateVersion7().ToString() }, cancellationToken: ct);
                ResultTable.Check(response.Outcome == ExecutionOutcome.Ok && response.Output.Length == bytes.Length, "floor");
                overhead.Add(response);
            }),
            (Relay, async ct =>
            {
                var response = await relay.ExecuteAsync(new ExecuteRequest { Function = spec, Payload = payload, ExecutionId = Guid.CreateVersion7().ToString() }, cancellationToken: ct);
                ResultTable.Check(response.Outcome == ExecutionOutcome.Ok && response.Output.Length == bytes.Length, "relay");
            }),
            (Scheduler, async ct =>
            {
                var response = await scheduler.DispatchAsync(new DispatchRequest { ExecutionId = Guid.NewGuid().ToString("N"), Function = spec, Payload = payload }, cancellationToken: ct);
                ResultTable.Check(response.Result.Outcome == ExecutionOutcome.Ok && response.Result.Output.Length == bytes.Length, "scheduler");
            }),
            (MeshGrpc, ct => InvokeGrpcAsync(invocations, payload, bytes.Length, MeshGrpc, ct)),
            (MeshRest, ct => InvokeRestAsync(rest, bytes, MeshRest, ct)),
            (secondGrpc, ct => InvokeGrpcAsync(schedulerPathInvocations, payload, bytes.Length, secondGrpc, ct)),
            (secondRest, ct => InvokeRestAsync(schedulerPathRest, bytes, secondRest, ct)),
        }.Where(s => s.Name == Floor || options.Includes(s.Name)).ToArray();

        // The services' first calls run unoptimised code, and each gateway path is only called in its own scenarios:
        // warm every path (JIT tiering settles after some thousands of calls) before measuring any.
        AnsiConsole.MarkupLine($"[grey]Warming up every path for {PathWarmup.TotalSeconds:0} s each…[/]");
        foreach (var (_, call) in scenarios)
        {
            await LoadRunner.RunAsync("warm-up", 8, TimeSpan.Zero, PathWarmup, call, cancellationToken);
        }

        var runs = new List<IReadOnlyList<LoadResult>>();
        var markdown = new System.Text.StringBuilder();
        for (var run = 1; run <= options.Runs; run++)
        {
            var results = new List<LoadResult>();
            foreach (var concurrency in options.Concurrency)
            {
                // The floor and the meshes take turns, slice by slice, so that they see the machine alike.
                overhead.Reset();
                results.AddRange(await LoadRunner.RunInTurnsAsync(
                    scenarios, concurrency, options, options.Runs > 1 ? $"run {run} of {options.Runs}: " : "", cpu, cancellationToken));
                if (concurrency == options.Concurrency[0])
                {
                    overhead.Freeze();
                }
            }

            runs.Add(results);
            var report = Report(results, overhead, options, second);
            AnsiConsole.Write(report.Table);
            AnsiConsole.WriteLine();
            AnsiConsole.Write(report.CpuTable);
            AnsiConsole.WriteLine();
            foreach (var line in report.Ratios)
            {
                AnsiConsole.WriteLine(line);
            }

            if (options.Runs > 1)
            {
                markdown.AppendLine($"### Run {run} of {options.Runs}").AppendLine();
            }

            markdown.Append(report.Markdown).AppendLine();
        }

        if (options.Runs > 1)
        {
            var (summary, summaryMarkdown) = RunSummary.Render(runs.Select(r => RunSummary.Of(r, options, second)).ToList());
            AnsiConsole.WriteLine();
            AnsiConsole.Write(summary);
            markdown.Insert(0, summaryMarkdown + Environment.NewLine);
        }

        if (options.MarkdownPath is { } path)
        {
            await File.WriteAllTextAsync(path, markdown.ToString(), cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Markdown written to {Markup.Escape(path)}[/]");
        }
    }

    private static async Task InvokeGrpcAsync(Invocations.InvocationsClient invocations, ByteString payload, int length, string scenario, CancellationToken cancellationToken)
    {
        var body = await invocations.InvokeAsync(new InvokeRequest { Name = FunctionName, Body = new HttpBody { Data = payload } }, cancellationToken: cancellationToken);
        ResultTable.Check(body.Data.Length == length, scenario);
    }

    private static async Task InvokeRestAsync(HttpClient rest, byte[] bytes, string scenario, CancellationToken cancellationToken)
    {
        using var response = await rest.PostAsync($"/v1/functions/{FunctionName}:invoke", new ByteArrayContent(bytes), cancellationToken);
        var output = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        ResultTable.Check(response.IsSuccessStatusCode && output.Length == bytes.Length, scenario);
    }

    private static (Table Table, Table CpuTable, IReadOnlyList<string> Ratios, string Markdown) Report(
        IReadOnlyList<LoadResult> results, WorkerOverhead overhead, BenchOptions options, SecondGateway second)
    {
        var (secondGrpc, secondRest, meshes) = (second.Grpc, second.Rest, second.Meshes);
        var (table, markdown) = ResultTable.Render(results, "calls");
        var (cpuTable, cpuMarkdown) = CpuTable.Render(results, MeshCpu.Kinds);

        LoadResult? Find(string scenario, int c) => results.FirstOrDefault(r => r.Scenario == scenario && r.Concurrency == c);
        var ratios = new List<string>();
        var low = options.Concurrency.Min();
        var high = options.Concurrency.Max();
        if (Find(Floor, low) is { } floorLow)
        {
            foreach (var mesh in meshes.Select(m => Find(m, low)).OfType<LoadResult>())
            {
                var p50 = mesh.PercentileMillis(50);
                ratios.Add($"{mesh.Scenario} p50 at concurrency {low}: {p50:0.000} ms, floor + {p50 - floorLow.PercentileMillis(50):0.000} ms (floor {floorLow.PercentileMillis(50):0.000} ms; target < 1 ms)");
            }
        }

        if (Find(Floor, high) is { } floorHigh)
        {
            foreach (var mesh in meshes.Select(m => Find(m, high)).OfType<LoadResult>())
            {
                ratios.Add($"{mesh.Scenario} throughput at concurrency {high} / floor: {mesh.Throughput / floorHigh.Throughput:0.00} ({mesh.Throughput:0}/s vs {floorHigh.Throughput:0}/s; target ≥ 0.50)");
            }

            if (Find(Relay, high) is { } relayHigh)
            {
                ratios.Add($"relay (the mesh's hop with no work) at concurrency {high} / floor: {relayHigh.Throughput / floorHigh.Throughput:0.00} ({relayHigh.Throughput:0}/s): the most any mesh on this path could reach");
            }
        }

        foreach (var (directPath, schedulerPath) in new[] { (MeshGrpc, secondGrpc), (MeshRest, secondRest) })
        {
            if (Find(directPath, high) is { } d && Find(schedulerPath, high) is { } s)
            {
                ratios.Add($"{directPath} / {schedulerPath} at concurrency {high}: throughput {d.Throughput / s.Throughput:0.00} ({d.Throughput:0}/s vs {s.Throughput:0}/s), " +
                    $"CPU per call {d.CpuMicrosPerCall() / s.CpuMicrosPerCall():0.00} ({d.CpuMicrosPerCall():0} µs vs {s.CpuMicrosPerCall():0} µs)");
            }
        }

        ratios.AddRange(results.Where(r => r.Concurrency == high).Select(r => CpuTable.Summary(r, MeshCpu.Kinds)));
        ratios.Add($"in-worker overhead beyond the function's own run: {overhead.MeanOverheadMicros:0.0} µs mean over {overhead.Count} calls (function run {overhead.MeanRunMicros:0.0} µs; target < 50 µs)");

        markdown.AppendLine().AppendLine($"CPU time of the processes on the path ({string.Join(", ", MeshCpu.Kinds)}) in each measured period:").AppendLine();
        markdown.Append(cpuMarkdown).AppendLine();
        foreach (var line in ratios)
        {
            markdown.AppendLine("- " + line);
        }

        return (table, cpuTable, ratios, markdown.ToString());
    }

    /// <summary>One run's figures the targets are stated in, and their medians and ranges over the runs.</summary>
    private sealed record RunSummary(IReadOnlyList<(string Figure, double? Value, string Format)> Figures)
    {
        public static RunSummary Of(IReadOnlyList<LoadResult> results, BenchOptions options, SecondGateway second)
        {
            var (secondGrpc, secondRest, meshes) = (second.Grpc, second.Rest, second.Meshes);
            LoadResult? Find(string scenario, int c) => results.FirstOrDefault(r => r.Scenario == scenario && r.Concurrency == c);
            var (low, high) = (options.Concurrency.Min(), options.Concurrency.Max());
            var figures = new List<(string, double?, string)>();
            var floorHigh = Find(Floor, high);
            figures.Add(($"floor c={high} (calls/s)", floorHigh?.Throughput, "N0"));
            foreach (var scenario in new[] { MeshGrpc, MeshRest, secondGrpc, secondRest, Relay })
            {
                figures.Add(($"{scenario} c={high} / floor", Find(scenario, high)?.Throughput / floorHigh?.Throughput, "0.00"));
            }

            foreach (var (one, two) in new[] { (MeshGrpc, secondGrpc), (MeshRest, secondRest) })
            {
                var (d, s) = (Find(one, high), Find(two, high));
                figures.Add(($"{one} / {two} c={high}: throughput", d?.Throughput / s?.Throughput, "0.00"));
                figures.Add(($"{one} / {two} c={high}: CPU per call", d?.CpuMicrosPerCall() / s?.CpuMicrosPerCall(), "0.00"));
                figures.Add(($"{one} c={high}: CPU per call (µs)", d?.CpuMicrosPerCall(), "0"));
                figures.Add(($"{two} c={high}: CPU per call (µs)", s?.CpuMicrosPerCall(), "0"));
            }

            // Where a call's CPU goes on either path, the load generator's share included: what the paths' ratios can reach.
            foreach (var scenario in new[] { Floor, MeshGrpc, secondGrpc })
            {
                var r = Find(scenario, high);
                foreach (var kind in new[] { MeshCpu.Gateway, MeshCpu.Scheduler, MeshCpu.Worker, MeshCpu.Postgres })
                {
                    if (scenario != Floor || kind == MeshCpu.Worker)
                    {
                        figures.Add(($"{scenario} c={high}: {kind} µs per call", r?.CpuMicrosPerCall(kind), "0"));
                    }
                }

                figures.Add(($"{scenario} c={high}: load generator µs per call", r?.LoadGeneratorMicrosPerCall, "0"));
            }

            var floorLow = Find(Floor, low);
            figures.Add(($"floor p50 c={low} (ms)", floorLow?.PercentileMillis(50), "0.000"));
            foreach (var scenario in meshes.Append(Relay))
            {
                figures.Add(($"{scenario} p50 c={low} − floor p50 (ms)", Find(scenario, low)?.PercentileMillis(50) - floorLow?.PercentileMillis(50), "0.000"));
            }

            return new RunSummary(figures);
        }

        public static (Table Table, string Markdown) Render(IReadOnlyList<RunSummary> runs)
        {
            var table = new Table().AddColumn("figure");
            var markdown = new System.Text.StringBuilder($"Over {runs.Count} runs in one mesh:").AppendLine().AppendLine();
            var header = new List<string> { "figure", "median", "range" };
            header.AddRange(Enumerable.Range(1, runs.Count).Select(i => $"run {i}"));
            foreach (var column in header.Skip(1))
            {
                table.AddColumn(new TableColumn(column).RightAligned());
            }

            markdown.AppendLine("| " + string.Join(" | ", header) + " |");
            markdown.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: |", header.Count - 1)));
            for (var i = 0; i < runs[0].Figures.Count; i++)
            {
                var (figure, _, format) = runs[0].Figures[i];
                var values = runs.Select(r => r.Figures[i].Value).ToList();
                var known = values.OfType<double>().Order().ToList();
                string Show(double? v) => v is { } x ? x.ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "–";
                var median = known.Count == 0 ? (double?)null
                    : known.Count % 2 == 1 ? known[known.Count / 2] : (known[known.Count / 2 - 1] + known[known.Count / 2]) / 2;
                var range = known.Count == 0 ? "–" : $"{Show(known[0])}–{Show(known[^1])}";
                var row = new List<string> { figure, Show(median), range };
                row.AddRange(values.Select(Show));
                table.AddRow(row.Select(Markup.Escape).ToArray());
                markdown.AppendLine("| " + string.Join(" | ", row) + " |");
            }

            return (table, markdown.ToString());
        }
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
