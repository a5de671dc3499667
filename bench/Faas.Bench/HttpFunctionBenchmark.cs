using Faas.Bench.Load;
using Faas.Protos.V1;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// HTTP functions: the same module (<c>http-echo</c>, CGI headers then the body) called as an HTTP function
/// (<c>POST /fn/{name}/echo</c>: the request mapped to CGI variables, the output read as a CGI response) and through
/// <c>:invoke</c> (body in, output out as it is), both over REST on one gateway, in one run. The difference is what the
/// mapping costs.
/// </summary>
public static class HttpFunctionBenchmark
{
    private const string FunctionName = "bench-http";
    private const string Invoke = "REST :invoke (the module's output as it is)";
    private const string Http = "HTTP function (CGI in and out)";

    public static async Task RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o => o.Workers = options.Workers);
        await app.StartAsync(cancellationToken);
        using var gateway = app.CreateGatewayChannel();
        using var rest = app.CreateHttpClient("gateway", "http");
        var cpu = MeshCpu.For(app);

        await new Functions.FunctionsClient(gateway).DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = FunctionName,
            Language = "wat",
            Source = await BenchFunctions.WatAsync("http-echo", cancellationToken),
            Config = new FunctionConfig { MaxConcurrency = 1024, QueueCapacity = 10_000, Http = new HttpConfig() },
        }, cancellationToken: cancellationToken);

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var scenarios = new (string Name, Func<CancellationToken, Task> Call)[]
        {
            (Invoke, async ct =>
            {
                using var response = await rest.PostAsync($"/v1/functions/{FunctionName}:invoke", new ByteArrayContent(bytes), ct);
                var output = await response.Content.ReadAsByteArrayAsync(ct);
                // The header block (42 bytes) and the body.
                ResultTable.Check(response.IsSuccessStatusCode && output.Length == bytes.Length + 42, Invoke);
            }),
            (Http, async ct =>
            {
                using var response = await rest.PostAsync($"/fn/{FunctionName}/echo?bench=1", new ByteArrayContent(bytes), ct);
                var output = await response.Content.ReadAsByteArrayAsync(ct);
                ResultTable.Check(response.IsSuccessStatusCode && output.Length == bytes.Length, Http);
            }),
        };

        var results = await PairedScenarios.MeasureAsync(options, scenarios, cpu, cancellationToken);
        var lines = PairedScenarios.Compare(options, results, Http, Invoke, (run, concurrency, http, invoke) =>
            $"run {run}, concurrency {concurrency}: HTTP function / :invoke throughput {http.Throughput / invoke.Throughput:0.00} " +
            $"({http.Throughput:0}/s vs {invoke.Throughput:0}/s), p50 {http.PercentileMillis(50) - invoke.PercentileMillis(50):+0.000;-0.000} ms, " +
            $"gateway CPU per call {http.CpuMicrosPerCall("gateway") - invoke.CpuMicrosPerCall("gateway"):+0;-0} µs").ToList();
        await PairedScenarios.ReportAsync(options, results, lines, cancellationToken);
    }
}
