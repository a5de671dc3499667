namespace Faas.Compiler.Toolchains.Languages;

/// <summary>What start-up detection found for one language.</summary>
public sealed record ToolchainReport
{
    public required SourceLanguage Language { get; init; }

    public bool IsAvailable => Missing.Count == 0 && NotSupportedReason is null;

    /// <summary>The compiler's version line, e.g. <c>Debian clang version 14.0.6</c>; null when it could not run.</summary>
    public string? Version { get; init; }

    /// <summary>What is missing, one entry per absent binary, sysroot or library.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>The packages that provide what is missing, e.g. <c>apt-get install wasi-libc</c>.</summary>
    public IReadOnlyList<string> InstallPackages { get; init; } = [];

    /// <summary>Set when the platform does not build this language yet, whatever is installed.</summary>
    public string? NotSupportedReason { get; init; }

    /// <summary>One sentence a user can act on: why the language cannot be built and what to install.</summary>
    public string Describe() => IsAvailable
        ? $"{Language.ToName()}: available ({Version})"
        : NotSupportedReason is { } reason
            ? $"{Language.ToName()}: not supported yet: {reason}"
            : $"{Language.ToName()}: unavailable, missing {string.Join(", ", Missing)}; install {string.Join(" ", InstallPackages)}";
}
