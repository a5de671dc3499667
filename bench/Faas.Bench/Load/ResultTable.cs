using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Faas.Bench.Load;

/// <summary>Load results as a console table and as Markdown, one row per scenario and concurrency.</summary>
public static class ResultTable
{
    /// <param name="unit">What one call is called in the headers ("calls", "ops").</param>
    public static (Table Table, StringBuilder Markdown) Render(IEnumerable<LoadResult> results, string unit)
    {
        string[] headers = ["scenario", "concurrency", $"{unit}/s", "p50 ms", "p90 ms", "p99 ms", unit, "errors"];
        var table = new Table().AddColumns(headers);
        var markdown = new StringBuilder()
            .AppendLine("| " + string.Join(" | ", headers) + " |")
            .AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            string[] cells =
            [
                r.Scenario, Num(r.Concurrency), Num(r.Throughput, "0"), Num(r.PercentileMillis(50), "0.000"),
                Num(r.PercentileMillis(90), "0.000"), Num(r.PercentileMillis(99), "0.000"), Num(r.Calls), Num(r.Errors),
            ];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
            markdown.AppendLine("| " + string.Join(" | ", cells) + " |");
        }

        return (table, markdown);
    }

    /// <summary>Fails the call (counted as an error by the load runner) when a response is not what the scenario expects.</summary>
    public static void Check(bool ok, string scenario)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"{scenario}: unexpected response");
        }
    }

    /// <summary>Prints the table and the summary lines, and writes both as Markdown to <paramref name="markdownPath"/> when given.</summary>
    public static async Task PublishAsync(Table table, StringBuilder markdown, IReadOnlyList<string> lines, string? markdownPath, CancellationToken cancellationToken)
    {
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine();
        foreach (var line in lines)
        {
            AnsiConsole.WriteLine(line);
        }

        if (markdownPath is not null)
        {
            markdown.AppendLine();
            foreach (var line in lines)
            {
                markdown.Append("- ").AppendLine(line);
            }

            await File.WriteAllTextAsync(markdownPath, markdown.ToString(), cancellationToken);
        }
    }

    private static string Num(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);
}
