namespace Faas.Compiler.Toolchains.Languages;

/// <summary>A source language the compiler turns into a function module.</summary>
public enum SourceLanguage
{
    C,
    Cpp,
    Rust,
    AssemblyScript,
}

public static class SourceLanguageNames
{
    /// <summary>The language's name in function specs and requests: <c>c</c>, <c>cpp</c>, <c>rust</c>, <c>assemblyscript</c>.</summary>
    public static string ToName(this SourceLanguage language) => language switch
    {
        SourceLanguage.C => "c",
        SourceLanguage.Cpp => "cpp",
        SourceLanguage.Rust => "rust",
        SourceLanguage.AssemblyScript => "assemblyscript",
        _ => throw new ArgumentOutOfRangeException(nameof(language), language, null),
    };

    public static bool TryParse(string? name, out SourceLanguage language)
    {
        foreach (var candidate in Enum.GetValues<SourceLanguage>())
        {
            if (string.Equals(candidate.ToName(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                language = candidate;
                return true;
            }
        }

        language = default;
        return false;
    }
}
