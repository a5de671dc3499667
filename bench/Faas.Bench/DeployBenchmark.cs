using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// Deploy from source to first successful invoke, for the C echo sample, through the whole mesh: a fresh
/// build each time (the source differs by a comment, so the build cache cannot answer), and a deploy of
/// source built before (a build-cache hit). Each sample is one REST deploy with <c>?wait=true</c> followed by
/// the first invoke of the new function.
/// </summary>
public static class DeployBenchmark
{
    public static async Task RunAsync(int iterations, int workers, string? markdownPath, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(null, o => o.Workers = workers);
        await app.StartAsync(cancellationToken);
        using var rest = app.CreateHttpClient("gateway", "http");
        rest.Timeout = TimeSpan.FromMinutes(3);
        var sample = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Functions", "echo.c"), cancellationToken);

        // One discarded round: the services' first deploy and first invoke pay for JIT compilation.
        await DeployAndInvokeAsync(rest, "bench-warmup", sample + $"\n// warm-up {Guid.NewGuid()}\n", cancellationToken);

        var fresh = new List<Sample>();
        var cached = new List<Sample>();
        for (var i = 0; i < iterations; i++)
        {
            var source = sample + $"\n// run {Guid.NewGuid()}\n";
            AnsiConsole.MarkupLine($"[grey]iteration {i + 1}/{iterations}…[/]");
            fresh.Add(await DeployAndInvokeAsync(rest, $"bench-fresh-{i}", source, cancellationToken));
            cached.Add(await DeployAndInvokeAsync(rest, $"bench-cached-{i}", source, cancellationToken));
        }

        var table = new Table().AddColumns("scenario", "samples", "deploy p50 ms", "deploy→first invoke p50 ms", "min ms", "max ms");
        var markdown = new StringBuilder()
            .AppendLine("| scenario | samples | deploy p50 ms | deploy → first invoke p50 ms | min ms | max ms |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, samples) in new[] { ("C echo, fresh build", fresh), ("C echo, build-cache hit", cached) })
        {
            string[] cells =
            [
                name, samples.Count.ToString(CultureInfo.InvariantCulture), Ms(Median(samples.Select(s => s.Deploy))),
                Ms(Median(samples.Select(s => s.Total))), Ms(samples.Min(s => s.Total)), Ms(samples.Max(s => s.Total)),
            ];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
            markdown.AppendLine("| " + string.Join(" | ", cells) + " |");
        }

        var summary = $"deploy → first successful invoke, C echo, fresh build: p50 {Ms(Median(fresh.Select(s => s.Total)))} ms (target < 1500 ms); "
            + $"build-cache hit: p50 {Ms(Median(cached.Select(s => s.Total)))} ms";
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine(summary);
        markdown.AppendLine().AppendLine("- " + summary);
        if (markdownPath is not null)
        {
            await File.WriteAllTextAsync(markdownPath, markdown.ToString(), cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Markdown written to {Markup.Escape(markdownPath)}[/]");
        }
    }

    private static async Task<Sample> DeployAndInvokeAsync(HttpClient rest, string name, string source, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using (var deploy = await rest.PostAsJsonAsync("/v1/functions?wait=true", new { name, language = "c", source }, cancellationToken))
        {
            var body = await deploy.Content.ReadAsStringAsync(cancellationToken);
            var state = deploy.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.GetProperty("state").GetString() : null;
            if (state != "READY")
            {
                throw new InvalidOperationException($"Deploy of {name} did not end READY: {(int)deploy.StatusCode} {body}");
            }
        }

        var deployed = Stopwatch.GetElapsedTime(started);
        using var invoke = await rest.PostAsync($"/v1/functions/{name}:invoke", new StringContent("ping"), cancellationToken);
        var output = await invoke.Content.ReadAsStringAsync(cancellationToken);
        if (!invoke.IsSuccessStatusCode || output != "ping")
        {
            throw new InvalidOperationException($"First invoke of {name} failed: {(int)invoke.StatusCode} {output}");
        }

        return new Sample(deployed, Stopwatch.GetElapsedTime(started));
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Ms(TimeSpan value) => value.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    private sealed record Sample(TimeSpan Deploy, TimeSpan Total);
}
