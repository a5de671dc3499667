namespace Faas.Storage.Model;

/// <summary>Where a build of a version deployed from source stands.</summary>
public enum BuildState
{
    /// <summary>Waiting in the build queue.</summary>
    Queued,

    /// <summary>A compiler is building it.</summary>
    Running,

    /// <summary>The version is READY with the module.</summary>
    Succeeded,

    /// <summary>The version is BUILD_FAILED; see the error and the diagnostics.</summary>
    Failed,
}

/// <summary>One compiler message, located in a source file where the compiler said where.</summary>
/// <param name="File">The file as the deploy named it; null for messages about the build as a whole.</param>
/// <param name="Line">1-based; 0 when not located.</param>
/// <param name="Column">1-based; 0 when not located.</param>
/// <param name="Severity"><c>error</c>, <c>warning</c> or <c>note</c>.</param>
public sealed record SourceDiagnostic(string? File, int Line, int Column, string Severity, string Message);

/// <summary>The build of one version: its input's identity, progress and outcome (the sources are read separately).</summary>
/// <param name="SourceSha256">The input's digest; builds with the same digest produce the same module.</param>
/// <param name="Attempts">How often a compiler started it (a compiler that died mid-build leaves it to the next).</param>
/// <param name="CacheHit">The module came from an earlier build of the same input.</param>
/// <param name="Error">Why it failed, in one line; empty otherwise.</param>
/// <param name="Log">The tail of the compiler's output.</param>
/// <param name="Toolchain">The compiler's version line.</param>
public sealed record BuildRecord(
    Guid TenantId,
    Guid FunctionId,
    string FunctionName,
    int Version,
    string Language,
    string SourceSha256,
    string? EntryFile,
    BuildState State,
    int Attempts,
    bool CacheHit,
    string Error,
    IReadOnlyList<SourceDiagnostic> Diagnostics,
    string Log,
    string Toolchain,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>What a deploy from source asks to build.</summary>
/// <param name="Sources">File name to text.</param>
/// <param name="SourceSha256">The digest of the input (language, entry, options, files).</param>
/// <param name="SingleSource">The source text when the deploy sent one file rather than an archive (kept with the version).</param>
public sealed record BuildInput(string Language, IReadOnlyDictionary<string, string> Sources, string SourceSha256, string? EntryFile, string? SingleSource);

/// <summary>How a build ended, as the compiler reports it.</summary>
/// <param name="ModuleSha256">The module, when it succeeded; null when it failed.</param>
public sealed record BuildOutcome(
    string? ModuleSha256,
    bool CacheHit,
    string Error,
    IReadOnlyList<SourceDiagnostic> Diagnostics,
    string Log,
    string Toolchain)
{
    public bool Succeeded => ModuleSha256 is not null;
}
