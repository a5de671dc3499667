namespace Faas.Compiler.Toolchains.Languages;

/// <summary>The toolchains found at start-up, one report per language, and whether builds run in their sandbox (without it, none runs).</summary>
public sealed record ToolchainInventory(IReadOnlyDictionary<SourceLanguage, ToolchainReport> Reports, bool Sandboxed)
{
    public ToolchainReport this[SourceLanguage language] => Reports[language];
}
