using System.Globalization;
using System.Text.RegularExpressions;

namespace Faas.Compiler.Toolchains.Builds;

/// <summary>
/// Reads compiler output line by line into diagnostics: clang's and rustc's short format
/// (<c>file:line:col: error: message</c>), tool-level messages (<c>wasm-ld: error: ...</c>), and asc's
/// two-part messages (<c>ERROR TS1005: message</c> then <c>in file(line,col)</c>). Not thread-safe.
/// </summary>
internal sealed partial class DiagnosticParser(int maxDiagnostics = 200)
{
    private readonly List<BuildDiagnostic> diagnostics = [];
    private BuildDiagnostic? pendingAsc;

    public void Read(string line)
    {
        if (Located().Match(line) is { Success: true } located)
        {
            Add(new BuildDiagnostic(
                located.Groups["file"].Value.StartsWith("./", StringComparison.Ordinal) ? located.Groups["file"].Value[2..] : located.Groups["file"].Value,
                int.Parse(located.Groups["line"].Value, CultureInfo.InvariantCulture),
                int.Parse(located.Groups["col"].Value, CultureInfo.InvariantCulture),
                Severity(located.Groups["sev"].Value),
                located.Groups["msg"].Value));
        }
        else if (AscHeader().Match(line) is { Success: true } header)
        {
            FlushAsc();
            pendingAsc = new BuildDiagnostic(null, 0, 0, Severity(header.Groups["sev"].Value), $"{header.Groups["code"].Value}: {header.Groups["msg"].Value}");
        }
        else if (pendingAsc is not null && AscLocation().Match(line) is { Success: true } location)
        {
            Add(pendingAsc with
            {
                File = location.Groups["file"].Value,
                Line = int.Parse(location.Groups["line"].Value, CultureInfo.InvariantCulture),
                Column = int.Parse(location.Groups["col"].Value, CultureInfo.InvariantCulture),
            });
            pendingAsc = null;
        }
        else if (Unlocated().Match(line) is { Success: true } unlocated && !IsSummary(unlocated.Groups["msg"].Value))
        {
            Add(new BuildDiagnostic(null, 0, 0, Severity(unlocated.Groups["sev"].Value), unlocated.Groups["msg"].Value));
        }
    }

    public IReadOnlyList<BuildDiagnostic> Complete()
    {
        FlushAsc();
        return diagnostics.ToArray();
    }

    private void FlushAsc()
    {
        if (pendingAsc is not null)
        {
            Add(pendingAsc);
            pendingAsc = null;
        }
    }

    private void Add(BuildDiagnostic diagnostic)
    {
        if (diagnostics.Count < maxDiagnostics)
        {
            diagnostics.Add(diagnostic);
        }
    }

    /// <summary>rustc's closing lines repeat what was already said.</summary>
    private static bool IsSummary(string message) =>
        message.StartsWith("aborting due to", StringComparison.Ordinal) || message.StartsWith("could not compile", StringComparison.Ordinal);

    private static DiagnosticSeverity Severity(string text) => text.ToLowerInvariant() switch
    {
        "warning" => DiagnosticSeverity.Warning,
        "note" or "help" => DiagnosticSeverity.Note,
        _ => DiagnosticSeverity.Error,
    };

    [GeneratedRegex(@"^(?<file>[^\s:][^:]*):(?<line>\d+):(?<col>\d+): (?<sev>fatal error|error|warning|note|help)(\[\w+\])?: (?<msg>.*)\z")]
    private static partial Regex Located();

    [GeneratedRegex(@"^([\w.+-]+: )?(?<sev>fatal error|error|warning)(\[\w+\])?: (?<msg>.*)\z")]
    private static partial Regex Unlocated();

    [GeneratedRegex(@"^(?<sev>ERROR|WARNING) (?<code>[A-Z]+\d+): (?<msg>.*)\z")]
    private static partial Regex AscHeader();

    [GeneratedRegex(@"in (?<file>[^\s()]+)\((?<line>\d+),(?<col>\d+)\)\s*\z")]
    private static partial Regex AscLocation();
}
