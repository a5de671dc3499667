using System.Text;
using System.Text.RegularExpressions;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Toolchains.Builds;

/// <summary>
/// Checks a build's files before anything is written: how many, how large, and names that stay inside the
/// scratch directory (relative, '/'-separated, segments of letters, digits, '_', '-', '.', not starting with '.').
/// </summary>
internal static partial class SourceSetValidator
{
    private const int MaxNameLength = 200;
    private const int MaxDepth = 4;

    public static string? Validate(IReadOnlyDictionary<string, string> sources, CompilerOptions options)
    {
        if (sources.Count == 0)
        {
            return "A build needs at least one source file.";
        }

        if (sources.Count > options.MaxSourceFiles)
        {
            return $"A build takes at most {options.MaxSourceFiles} source files, not {sources.Count}.";
        }

        long totalBytes = 0;
        foreach (var (name, content) in sources)
        {
            if (CheckName(name) is { } problem)
            {
                return problem;
            }

            totalBytes += Encoding.UTF8.GetByteCount(content ?? "");
            if (totalBytes > options.MaxSourceBytes)
            {
                return $"The sources exceed the limit of {options.MaxSourceBytes} bytes.";
            }
        }

        return null;
    }

    private static string? CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return $"Source file names must have 1 to {MaxNameLength} characters.";
        }

        var segments = name.Split('/');
        if (segments.Length > MaxDepth || !segments.All(segment => Segment().IsMatch(segment)))
        {
            return $"The source file name `{Printable(name)}` is not allowed: use relative names of letters, digits, '_', '-' and '.', "
                + $"at most {MaxDepth} levels deep, with no '..', no leading '/' or '.', and no other characters.";
        }

        return null;
    }

    private static string Printable(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).Take(MaxNameLength).ToArray());

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
    private static partial Regex Segment();
}
