namespace Faas.Compiler.Toolchains.Builds;

/// <summary>Choices for one build.</summary>
public sealed record BuildOptions
{
    public static BuildOptions Default { get; } = new();

    /// <summary>
    /// The file the module starts from, where a language has one (Rust's crate root, AssemblyScript's entry).
    /// Defaults to the only such file, or <c>main.rs</c> / <c>index.ts</c> among several.
    /// </summary>
    public string? EntryFile { get; init; }

    /// <summary>Optimise for speed (-O2); off builds faster.</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>
    /// Also return the module precompiled for the workers' engine (<see cref="BuildResult.Precompiled"/>),
    /// from the compilation validation does anyway.
    /// </summary>
    public bool Precompile { get; init; }

    /// <summary>A tighter wall-clock limit than the configured one; never a looser one.</summary>
    public TimeSpan? Timeout { get; init; }
}
