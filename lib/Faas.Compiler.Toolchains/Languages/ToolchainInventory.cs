namespace Faas.Compiler.Toolchains.Languages;

/// <summary>The toolchains found at start-up, one report per language, and how builds are isolated.</summary>
public sealed record ToolchainInventory(IReadOnlyDictionary<SourceLanguage, ToolchainReport> Reports, bool NetworkIsolated)
{
    public ToolchainReport this[SourceLanguage language] => Reports[language];
}
