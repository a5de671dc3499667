using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;

namespace Faas.Compiler.Tests;

public sealed class SourceDigestTests
{
    private static readonly Dictionary<string, string> Sources = new() { ["main.c"] = "int main(void) { return 0; }", ["lib.h"] = "int f(void);" };

    [Fact]
    public void The_same_files_in_any_order_have_the_same_digest()
    {
        var reordered = new Dictionary<string, string> { ["lib.h"] = Sources["lib.h"], ["main.c"] = Sources["main.c"] };

        Assert.Equal(SourceDigest.Compute(SourceLanguage.C, Sources), SourceDigest.Compute(SourceLanguage.C, reordered));
        Assert.Matches("^[0-9a-f]{64}$", SourceDigest.Compute(SourceLanguage.C, Sources));
    }

    [Fact]
    public void Content_language_entry_file_and_options_each_change_the_digest()
    {
        var digest = SourceDigest.Compute(SourceLanguage.C, Sources);

        Assert.NotEqual(digest, SourceDigest.Compute(SourceLanguage.C, new Dictionary<string, string>(Sources) { ["lib.h"] = "int g(void);" }));
        Assert.NotEqual(digest, SourceDigest.Compute(SourceLanguage.Cpp, Sources));
        Assert.NotEqual(digest, SourceDigest.Compute(SourceLanguage.C, Sources, new BuildOptions { EntryFile = "main.c" }));
        Assert.NotEqual(digest, SourceDigest.Compute(SourceLanguage.C, Sources, new BuildOptions { Optimize = false }));
    }

    [Fact]
    public void Names_and_contents_cannot_run_into_each_other()
    {
        Assert.NotEqual(
            SourceDigest.Compute(SourceLanguage.C, new Dictionary<string, string> { ["ab"] = "c" }),
            SourceDigest.Compute(SourceLanguage.C, new Dictionary<string, string> { ["a"] = "bc" }));
    }
}
