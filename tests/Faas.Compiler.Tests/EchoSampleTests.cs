using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;
using Faas.Wasm.Execution;

namespace Faas.Compiler.Tests;

[Collection(CompilerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EchoSampleTests(CompilerFixture fixture)
{
    [Theory]
    [InlineData(SourceLanguage.C, "echo.c")]
    [InlineData(SourceLanguage.Cpp, "echo.cpp")]
    [InlineData(SourceLanguage.Rust, "echo.rs")]
    [InlineData(SourceLanguage.AssemblyScript, "echo.ts")]
    public async Task Echo_sample_compiles_to_a_valid_module_that_echoes_its_payload(SourceLanguage language, string sample)
    {
        var result = await fixture.Builder.BuildAsync(language, Samples.Echo(sample));

        Assert.True(result.Succeeded, $"{result.Status}: {result.Error}\n{result.Log}");
        Assert.True(fixture.Validator.Validate(result.Wasm!).IsValid);
        var run = fixture.Run(result.Wasm!, "hello from the mesh ✓");
        Assert.Equal(ExecutionOutcome.Ok, run.Outcome);
        Assert.Equal("hello from the mesh ✓", System.Text.Encoding.UTF8.GetString(run.Output.Span));
    }

    [Fact]
    public async Task Build_leaves_no_scratch_directory_behind()
    {
        var root = Path.Combine(fixture.ScratchRoot, "own-" + Guid.NewGuid().ToString("N"));
        var builder = fixture.CreateBuilder(new CompilerOptions { ScratchRoot = root });

        var result = await builder.BuildAsync(SourceLanguage.C, Samples.Echo("echo.c"));

        Assert.True(result.Succeeded);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }
}
