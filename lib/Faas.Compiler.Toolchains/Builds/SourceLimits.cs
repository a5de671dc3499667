namespace Faas.Compiler.Toolchains.Builds;

/// <summary>How much source one build may bring: files, and bytes of all files together (UTF-8).</summary>
/// <param name="MaxFiles">Most files in one build.</param>
/// <param name="MaxBytes">Most bytes of source in one build; also the largest compressed archive accepted.</param>
public sealed record SourceLimits(int MaxFiles, int MaxBytes)
{
    /// <summary>The compiler's defaults (<c>Compiler:MaxSourceFiles</c>, <c>Compiler:MaxSourceBytes</c>).</summary>
    public static SourceLimits Default { get; } = new(64, 1024 * 1024);
}
