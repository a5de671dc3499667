using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;
using Faas.Wasm.Execution;
using Wasmtime;

namespace Faas.Compiler.Tests;

[Collection(CompilerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PrecompileTests(CompilerFixture fixture)
{
    [Fact]
    public async Task A_build_asked_to_precompile_returns_an_artifact_the_workers_engine_loads_and_runs()
    {
        var result = await fixture.Builder.BuildAsync(SourceLanguage.C, Samples.Echo("echo.c"), new BuildOptions { Precompile = true });

        Assert.True(result.Succeeded, result.Error);
        using var module = Module.Deserialize(fixture.ExecutionEngine, "precompiled", result.Precompiled!);
        var run = fixture.Executor.Execute(module, new ExecutionRequest
        {
            ModuleSha256 = "test", FunctionName = "echo", Payload = "precompiled"u8.ToArray(), TimeoutMs = 10_000,
        });
        Assert.Equal(ExecutionOutcome.Ok, run.Outcome);
        Assert.Equal("precompiled", System.Text.Encoding.UTF8.GetString(run.Output.Span));
    }

    [Fact]
    public async Task A_build_not_asked_to_precompile_returns_only_the_module()
    {
        var result = await fixture.Builder.BuildAsync(SourceLanguage.C, Samples.Echo("echo.c"));

        Assert.NotNull(result.Wasm);
        Assert.Null(result.Precompiled);
        Assert.Contains("clang", result.ToolchainVersion);
    }

    [Fact]
    public async Task A_compiler_allocating_without_end_fails_at_the_memory_limit()
    {
        var builder = fixture.CreateBuilder(new CompilerOptions { ScratchRoot = fixture.ScratchRoot, MaxMemoryBytes = 256L * 1024 * 1024 });
        const string templateBomb = """
            template <class A, class B> struct P {};
            template <class T, int N> struct E {
              using L = typename E<P<T, int>, N - 1>::type;
              using R = typename E<P<T, long>, N - 1>::type;
              using type = P<L, R>;
            };
            template <class T> struct E<T, 0> { using type = T; };
            E<int, 40>::type boom;
            int main() { return 0; }
            """;

        var result = await builder.BuildAsync(SourceLanguage.Cpp, new Dictionary<string, string> { ["bomb.cpp"] = templateBomb });

        Assert.Equal(BuildStatus.CompileFailed, result.Status);
        Assert.Contains("ran out of memory", result.Error, StringComparison.Ordinal);
        Assert.Contains("256 MiB", result.Error, StringComparison.Ordinal);
    }
}
