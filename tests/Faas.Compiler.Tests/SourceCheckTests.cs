using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Tests;

[Collection(CompilerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SourceCheckTests(CompilerFixture fixture)
{
    [Theory]
    [InlineData("../escape.c")]
    [InlineData("src/../../escape.c")]
    [InlineData("/etc/escape.c")]
    [InlineData(".hidden.c")]
    [InlineData("a\\b.c")]
    [InlineData("fn;rm -rf.c")]
    [InlineData("new\nline.c")]
    [InlineData("")]
    public async Task File_name_that_could_leave_the_scratch_directory_is_rejected_before_anything_runs(string name)
    {
        var (builder, root) = IsolatedBuilder(new CompilerOptions());

        var result = await builder.BuildAsync(SourceLanguage.C, new Dictionary<string, string> { [name] = "int main(void) { return 0; }\n" });

        Assert.Equal(BuildStatus.InvalidSources, result.Status);
        Assert.False(Directory.Exists(root), "no scratch directory is made for a rejected build");
    }

    [Fact]
    public async Task More_files_than_allowed_are_rejected_before_anything_runs()
    {
        var (builder, root) = IsolatedBuilder(new CompilerOptions { MaxSourceFiles = 3 });
        var sources = Enumerable.Range(0, 4).ToDictionary(i => $"f{i}.c", _ => "");

        var result = await builder.BuildAsync(SourceLanguage.C, sources);

        Assert.Equal(BuildStatus.InvalidSources, result.Status);
        Assert.Contains("at most 3 source files", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Source_over_the_size_limit_is_rejected_before_anything_runs()
    {
        var (builder, root) = IsolatedBuilder(new CompilerOptions { MaxSourceBytes = 1024 });
        var sources = new Dictionary<string, string> { ["big.c"] = $"int main(void) {{ return 0; }}\n/*{new string('x', 1024)}*/\n" };

        var result = await builder.BuildAsync(SourceLanguage.C, sources);

        Assert.Equal(BuildStatus.InvalidSources, result.Status);
        Assert.Contains("1024 bytes", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Sources_without_a_compilation_unit_are_rejected()
    {
        var result = await fixture.Builder.BuildAsync(SourceLanguage.C, new Dictionary<string, string> { ["only.h"] = "int f(void);\n" });

        Assert.Equal(BuildStatus.InvalidSources, result.Status);
        Assert.Contains(".c", result.Error, StringComparison.Ordinal);
    }

    private (FunctionBuilder Builder, string Root) IsolatedBuilder(CompilerOptions options)
    {
        options.ScratchRoot = Path.Combine(fixture.ScratchRoot, "isolated-" + Guid.NewGuid().ToString("N"));
        return (fixture.CreateBuilder(options), options.ScratchRoot);
    }
}
