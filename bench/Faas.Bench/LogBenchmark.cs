using System.Diagnostics;
using Faas.Bench.Load;
using Faas.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using HdrHistogram;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// Function logs, in one run: (1) what capturing and recording a log line costs a synchronous call: <c>echo</c> against
/// <c>echo-log</c> (the same echo writing one line to stderr per call), gRPC <c>:invoke</c>, throughput and CPU per call
/// of the whole mesh; (2) how long a line takes from the function writing it to a follower of <c>ReadLogs</c> (what
/// <c>faas logs -f</c> runs) receiving it: the line's own time, taken by the worker as the function wrote it, against
/// the follower's clock on the same machine, over calls spaced apart.
/// </summary>
public static class LogBenchmark
{
    private const string Quiet = "bench-echo";
    private const string Logging = "bench-echo-log";
    private const string WithoutLog = "gRPC :invoke, writes no log";
    private const string WithLog = "gRPC :invoke, writes one log line";

    public static async Task RunAsync(BenchOptions options, int followCalls, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o => o.Workers = options.Workers);
        await app.StartAsync(cancellationToken);
        using var gateway = app.CreateGatewayChannel();
        var cpu = MeshCpu.For(app);
        var functions = new Functions.FunctionsClient(gateway);
        var config = new FunctionConfig { MaxConcurrency = 1024, QueueCapacity = 10_000 };
        foreach (var (name, sample) in new[] { (Quiet, "echo"), (Logging, "echo-log") })
        {
            await functions.DeployFunctionAsync(new DeployFunctionRequest
            {
                Name = name, Language = "wat", Source = await BenchFunctions.WatAsync(sample, cancellationToken), Config = config,
            }, cancellationToken: cancellationToken);
        }

        var invocations = new Invocations.InvocationsClient(gateway);
        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var body = new Google.Api.HttpBody { Data = ByteString.CopyFrom(bytes) };
        var scenarios = new (string Name, Func<CancellationToken, Task> Call)[]
        {
            (WithoutLog, async ct => ResultTable.Check((await invocations.InvokeAsync(new InvokeRequest { Name = Quiet, Body = body }, cancellationToken: ct)).Data.Length == bytes.Length, WithoutLog)),
            (WithLog, async ct => ResultTable.Check((await invocations.InvokeAsync(new InvokeRequest { Name = Logging, Body = body }, cancellationToken: ct)).Data.Length == bytes.Length, WithLog)),
        };

        var results = await PairedScenarios.MeasureAsync(options, scenarios, cpu, cancellationToken);

        AnsiConsole.MarkupLine($"[grey]Following {Logging}'s log over {followCalls} calls, 100 ms apart…[/]");
        var delay = await FollowLatencyAsync(gateway, invocations, body, followCalls, cancellationToken);

        var lines = PairedScenarios.Compare(options, results, WithLog, WithoutLog, (run, concurrency, with, without) =>
            $"run {run}, concurrency {concurrency}: with a log line / without, throughput {with.Throughput / without.Throughput:0.00} " +
            $"({with.Throughput:0}/s vs {without.Throughput:0}/s), p50 {with.PercentileMillis(50) - without.PercentileMillis(50):+0.000;-0.000} ms, " +
            $"mesh CPU per call {with.CpuMicrosPerCall() - without.CpuMicrosPerCall():+0;-0} µs " +
            $"({with.CpuMicrosPerCall():0} vs {without.CpuMicrosPerCall():0})").ToList();
        lines.Add($"written to followed: {delay.TotalCount} lines, p50 {delay.GetValueAtPercentile(50) / 1000.0:0.0} ms, " +
            $"p90 {delay.GetValueAtPercentile(90) / 1000.0:0.0} ms, p99 {delay.GetValueAtPercentile(99) / 1000.0:0.0} ms, max {delay.GetMaxValue() / 1000.0:0.0} ms");
        await PairedScenarios.ReportAsync(options, results, lines, cancellationToken);
    }

    /// <summary>
    /// Calls the logging function <paramref name="calls"/> times, 100 ms apart, while following its log; each line's delay
    /// is the follower's clock when it arrived minus the line's time (when the function wrote it), in µs.
    /// </summary>
    private static async Task<LongHistogram> FollowLatencyAsync(
        Grpc.Net.Client.GrpcChannel gateway, Invocations.InvocationsClient invocations, Google.Api.HttpBody body, int calls, CancellationToken cancellationToken)
    {
        var delays = new LongHistogram(TimeSpan.FromMinutes(1).Ticks / 10, 3);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var follow = new Logs.LogsClient(gateway).ReadLogs(new ReadLogsRequest { Name = Logging, Follow = true, Tail = 0 }, cancellationToken: stop.Token);
        await follow.ResponseHeadersAsync;
        var reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var entry in follow.ResponseStream.ReadAllAsync(stop.Token))
                {
                    var arrived = DateTimeOffset.UtcNow;
                    lock (expected)
                    {
                        if (expected.Remove(entry.ExecutionId))
                        {
                            delays.RecordValue(Math.Max(0, (long)(arrived - entry.Time.ToDateTimeOffset()).TotalMicroseconds));
                        }
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }
        }, CancellationToken.None);

        for (var i = 0; i < calls; i++)
        {
            using var call = invocations.InvokeAsync(new InvokeRequest { Name = Logging, Body = body }, cancellationToken: cancellationToken);
            var id = (await call.ResponseHeadersAsync).GetValue("x-execution-id")!;
            lock (expected)
            {
                expected.Add(id);
            }

            await call;
            await Task.Delay(100, cancellationToken);
        }

        // Lines still on their way get a few seconds.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            lock (expected)
            {
                if (expected.Count == 0)
                {
                    break;
                }
            }

            await Task.Delay(50, cancellationToken);
        }

        await stop.CancelAsync();
        await reader;
        lock (expected)
        {
            if (expected.Count > 0)
            {
                AnsiConsole.MarkupLine($"[red]{expected.Count} of {calls} lines never reached the follower[/]");
            }
        }

        return delays;
    }
}
