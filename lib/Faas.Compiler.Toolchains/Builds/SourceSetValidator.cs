using System.Text;
using System.Text.RegularExpressions;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Toolchains.Builds;

/// <summary>Why a set of source files cannot be built; <see cref="IsTooLarge"/> when it is about size rather than content.</summary>
public sealed record SourceProblem(string Message, bool IsTooLarge = false)
{
    public override string ToString() => Message;
}

/// <summary>
/// Checks a build's files before anything is written: how many, how large, and names that stay inside the
/// scratch directory (relative, '/'-separated, segments of letters, digits, '_', '-', '.', not starting with '.').
/// The gateway runs the same checks on a deploy, so bad input is refused before a build is queued.
/// </summary>
public static partial class SourceSetValidator
{
    private const int MaxNameLength = 200;
    private const int MaxDepth = 4;

    /// <summary>The first problem with the file set, or null when it may be built.</summary>
    public static SourceProblem? Validate(IReadOnlyDictionary<string, string> sources, CompilerOptions options) =>
        Validate(sources, options.SourceLimits);

    /// <inheritdoc cref="Validate(IReadOnlyDictionary{string, string}, CompilerOptions)"/>
    public static SourceProblem? Validate(IReadOnlyDictionary<string, string> sources, SourceLimits limits)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
        {
            return new("A build needs at least one source file.");
        }

        if (sources.Count > limits.MaxFiles)
        {
            return TooManyFiles(limits, sources.Count);
        }

        long totalBytes = 0;
        foreach (var (name, content) in sources)
        {
            if (CheckName(name) is { } problem)
            {
                return problem;
            }

            if (content is not null && content.Contains('\0', StringComparison.Ordinal))
            {
                return new($"The source file `{Printable(name)}` contains a NUL character: sources are text.");
            }

            totalBytes += Encoding.UTF8.GetByteCount(content ?? "");
            if (totalBytes > limits.MaxBytes)
            {
                return TooLarge(limits);
            }
        }

        return null;
    }

    public static SourceProblem TooLarge(SourceLimits limits) => new($"The sources exceed the limit of {limits.MaxBytes} bytes.", IsTooLarge: true);

    public static SourceProblem TooManyFiles(SourceLimits limits, int count) =>
        new($"A build takes at most {limits.MaxFiles} source files, not {count}.", IsTooLarge: true);

    /// <summary>The problem with one file name, or null when it is allowed.</summary>
    public static SourceProblem? CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return new($"Source file names must have 1 to {MaxNameLength} characters.");
        }

        var segments = name.Split('/');
        if (segments.Length > MaxDepth || !segments.All(segment => Segment().IsMatch(segment)))
        {
            return new($"The source file name `{Printable(name)}` is not allowed: use relative names of letters, digits, '_', '-' and '.', "
                + $"at most {MaxDepth} levels deep, with no '..', no leading '/' or '.', and no other characters.");
        }

        return null;
    }

    internal static string Printable(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).Take(MaxNameLength).ToArray());

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*\\z")]
    private static partial Regex Segment();
}
