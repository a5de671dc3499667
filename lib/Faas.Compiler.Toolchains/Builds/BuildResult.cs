namespace Faas.Compiler.Toolchains.Builds;

/// <summary>What a build produced: the module, or why there is none.</summary>
public sealed record BuildResult
{
    public required BuildStatus Status { get; init; }

    public bool Succeeded => Status == BuildStatus.Succeeded;

    /// <summary>The validated module; null unless the build succeeded.</summary>
    public byte[]? Wasm { get; init; }

    /// <summary>
    /// The module precompiled for engines with <see cref="Faas.Wasm.Engines.WasmEngineFactory.Fingerprint"/>;
    /// null unless the build succeeded and <see cref="BuildOptions.Precompile"/> asked for it.
    /// </summary>
    public byte[]? Precompiled { get; init; }

    /// <summary>A one-line summary of the failure; null on success.</summary>
    public string? Error { get; init; }

    /// <summary>The compiler's messages, parsed, in the order it printed them.</summary>
    public IReadOnlyList<BuildDiagnostic> Diagnostics { get; init; } = [];

    /// <summary>The tail of the compiler's raw output (capped; see <c>Compiler:MaxLogBytes</c>).</summary>
    public string Log { get; init; } = "";

    public TimeSpan Elapsed { get; init; }

    /// <summary>The compiler's version line, when the build got as far as running it.</summary>
    public string? ToolchainVersion { get; init; }

    internal static BuildResult Failed(BuildStatus status, string error) => new() { Status = status, Error = error };
}
