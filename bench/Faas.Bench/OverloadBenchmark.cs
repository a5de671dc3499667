using System.Globalization;
using System.Net;
using Faas.Bench.Load;
using Faas.Protos.V1;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// Overload: one function with a capacity of <c>maxConcurrency + queueCapacity</c> calls at once, driven over REST by
/// as many closed-loop callers as that capacity (the floor), then by twice as many, in one run. A caller whose call is
/// shed (429) backs off 10 ms and tries again. Reported: accepted throughput, latency of accepted calls, and the share
/// of calls shed at twice the capacity.
/// </summary>
public static class OverloadBenchmark
{
    private const string FunctionName = "bench-overload";
    private const int MaxConcurrency = 4;
    private const int QueueCapacity = 4;
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(10);

    public static async Task RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o => o.Workers = options.Workers);
        await app.StartAsync(cancellationToken);
        using var gateway = app.CreateGatewayChannel();
        using var rest = app.CreateHttpClient("gateway", "http");
        await BenchFunctions.DeployEchoAsync(gateway, FunctionName, new FunctionConfig { MaxConcurrency = MaxConcurrency, QueueCapacity = QueueCapacity }, cancellationToken);

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        const int capacity = MaxConcurrency + QueueCapacity;
        var results = new List<(LoadResult Result, long Shed, long Accepted)>();
        foreach (var (scenario, callers) in new[] { ("1× capacity", capacity), ("2× capacity", 2 * capacity) })
        {
            AnsiConsole.MarkupLine($"[grey]{scenario}: {callers} callers against {MaxConcurrency} slots and {QueueCapacity} queue places…[/]");
            // Shed and accepted calls over the warm-up and the measured period alike (the runner reports the latter alone).
            long shed = 0, accepted = 0;
            var result = await LoadRunner.RunAsync(scenario, callers, options.Warmup, options.Duration, async ct =>
            {
                using var response = await rest.PostAsync($"/v1/functions/{FunctionName}:invoke", new ByteArrayContent(bytes), ct);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    ResultTable.Check(response.Headers.RetryAfter is not null, $"{scenario}: 429 without Retry-After");
                    Interlocked.Increment(ref shed);
                    await Task.Delay(Backoff, ct);
                    throw new ShedException();
                }

                var output = await response.Content.ReadAsByteArrayAsync(ct);
                ResultTable.Check(response.IsSuccessStatusCode && output.Length == bytes.Length, scenario);
                Interlocked.Increment(ref accepted);
            }, cancellationToken);
            results.Add((result, shed, accepted));
        }

        var (table, markdown) = ResultTable.Render(results.Select(r => r.Result), "accepted");
        var (floor, floorShed, floorAccepted) = results[0];
        var (over, overShed, overAccepted) = results[1];
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"calls shed (warm-up included) at 1× capacity: {floorShed} of {floorShed + floorAccepted}; at 2×: {overShed} of {overShed + overAccepted} ({(double)overShed / (overShed + overAccepted):P0}), every one a 429 with Retry-After"),
            string.Create(CultureInfo.InvariantCulture, $"accepted throughput at 2× / 1×: {over.Throughput / floor.Throughput:0.00} ({over.Throughput:0}/s vs {floor.Throughput:0}/s)"),
            string.Create(CultureInfo.InvariantCulture, $"p99 of accepted calls at 2× / 1×: {over.PercentileMillis(99) / floor.PercentileMillis(99):0.00} ({over.PercentileMillis(99):0.000} ms vs {floor.PercentileMillis(99):0.000} ms); measured errors, 429 included: {floor.Errors} at 1×, {over.Errors} at 2×"),
        };
        await ResultTable.PublishAsync(table, markdown, lines, options.MarkdownPath, cancellationToken);
    }

    /// <summary>A call shed with 429: counted apart, not as a latency.</summary>
    private sealed class ShedException : Exception;
}
