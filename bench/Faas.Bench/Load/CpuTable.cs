using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Faas.Bench.Load;

/// <summary>
/// The CPU each scenario cost, as a console table and as Markdown: microseconds per completed call in all and by kind
/// of process, the cores those processes kept busy on average, and apart from them what the load generator spent per call.
/// </summary>
public static class CpuTable
{
    public static (Table Table, StringBuilder Markdown) Render(IEnumerable<LoadResult> results, IReadOnlyList<string> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        string[] headers = ["scenario", "concurrency", "CPU µs/call", .. kinds.Select(k => $"{k} µs"), "cores busy", "load generator µs"];
        var table = new Table().AddColumns(headers);
        var markdown = new StringBuilder()
            .AppendLine("| " + string.Join(" | ", headers) + " |")
            .AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: |", headers.Length - 1)));
        foreach (var r in results.Where(r => r.Cpu is not null))
        {
            string[] cells =
            [
                r.Scenario, r.Concurrency.ToString(CultureInfo.InvariantCulture), Micros(r.CpuMicrosPerCall()),
                .. kinds.Select(k => Micros(r.CpuMicrosPerCall(k))),
                (r.Cpu!.Total / r.Elapsed).ToString("0.00", CultureInfo.InvariantCulture),
                Micros(r.LoadGeneratorMicrosPerCall),
            ];
            table.AddRow(cells.Select(Markup.Escape).ToArray());
            markdown.AppendLine("| " + string.Join(" | ", cells) + " |");
        }

        return (table, markdown);
    }

    /// <summary>One scenario's CPU per call in a line: the total, then each kind that spent a microsecond or so per call.</summary>
    public static string Summary(LoadResult result, IReadOnlyList<string> kinds)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(kinds);
        var parts = kinds.Where(k => result.CpuMicrosPerCall(k) >= 0.5).Select(k => $"{k} {Micros(result.CpuMicrosPerCall(k))}");
        return $"CPU per call, {result.Scenario} at concurrency {result.Concurrency}: {Micros(result.CpuMicrosPerCall())} µs ({string.Join(", ", parts)}); " +
            $"load generator {Micros(result.LoadGeneratorMicrosPerCall)} µs";
    }

    private static string Micros(double value) => value.ToString("0", CultureInfo.InvariantCulture);
}
