using Spectre.Console;

namespace Faas.Bench.Load;

/// <summary>
/// Benchmarks that compare scenarios in one mesh (an HTTP function against <c>:invoke</c>, a logging function against
/// a silent one): each warmed up, then measured at every concurrency in slices taken in turn, <see cref="BenchOptions.Runs"/> times, with the
/// mesh's CPU charged to each; then the tables and the comparison lines, printed and written as markdown.
/// </summary>
public static class PairedScenarios
{
    public static async Task<List<LoadResult>> MeasureAsync(
        BenchOptions options, IReadOnlyList<(string Name, Func<CancellationToken, Task> Call)> scenarios, CpuMeter cpu, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine("[grey]Warming up each scenario for 10 s…[/]");
        foreach (var (_, call) in scenarios)
        {
            await LoadRunner.RunAsync("warm-up", 8, TimeSpan.Zero, TimeSpan.FromSeconds(10), call, cancellationToken);
        }

        var results = new List<LoadResult>();
        for (var run = 1; run <= options.Runs; run++)
        {
            foreach (var concurrency in options.Concurrency)
            {
                results.AddRange(await LoadRunner.RunInTurnsAsync(scenarios, concurrency, options, $"run {run}: ", cpu, cancellationToken));
            }
        }

        return results;
    }

    /// <summary>
    /// Pairs each run of <paramref name="candidate"/> with the same run of <paramref name="baseline"/>, per concurrency,
    /// and describes each pair with <paramref name="describe"/>.
    /// </summary>
    public static IEnumerable<string> Compare(
        BenchOptions options, IReadOnlyList<LoadResult> results, string candidate, string baseline, Func<int, int, LoadResult, LoadResult, string> describe)
    {
        foreach (var concurrency in options.Concurrency)
        {
            var candidates = results.Where(r => r.Scenario == candidate && r.Concurrency == concurrency).ToList();
            var baselines = results.Where(r => r.Scenario == baseline && r.Concurrency == concurrency).ToList();
            for (var i = 0; i < Math.Min(candidates.Count, baselines.Count); i++)
            {
                yield return describe(i + 1, concurrency, candidates[i], baselines[i]);
            }
        }
    }

    /// <summary>Prints the results, their CPU and <paramref name="lines"/>, and writes them as markdown when asked.</summary>
    public static async Task ReportAsync(BenchOptions options, IReadOnlyList<LoadResult> results, IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        var (table, markdown) = ResultTable.Render(results, "calls");
        var (cpuTable, cpuMarkdown) = CpuTable.Render(results, MeshCpu.Kinds);
        AnsiConsole.Write(table);
        AnsiConsole.Write(cpuTable);
        foreach (var line in lines)
        {
            AnsiConsole.WriteLine(line);
        }

        if (options.MarkdownPath is { } path)
        {
            await File.WriteAllTextAsync(path, markdown + Environment.NewLine + cpuMarkdown + Environment.NewLine + string.Concat(lines.Select(l => "- " + l + Environment.NewLine)), cancellationToken);
        }
    }
}
