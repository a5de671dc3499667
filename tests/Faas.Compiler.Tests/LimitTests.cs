using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Tests;

[Collection(CompilerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LimitTests(CompilerFixture fixture)
{
    [Fact]
    public async Task File_that_includes_itself_fails_at_the_include_depth_limit()
    {
        var sources = new Dictionary<string, string> { ["loop.c"] = "#include \"loop.c\"\nint main(void) { return 0; }\n" };

        var result = await fixture.Builder.BuildAsync(SourceLanguage.C, sources);

        Assert.Equal(BuildStatus.CompileFailed, result.Status);
        Assert.Contains(result.Diagnostics, d => d.File == "loop.c" && d.Message.Contains("nested too deeply", StringComparison.Ordinal));
        Assert.True(result.Log.Length <= fixture.Options.MaxLogBytes);
    }

    [Fact]
    public async Task Endless_compile_is_killed_at_the_time_limit_leaving_no_process_and_no_scratch_directory()
    {
        var root = Path.Combine(fixture.ScratchRoot, "endless-" + Guid.NewGuid().ToString("N"));
        var builder = fixture.CreateBuilder(new CompilerOptions { ScratchRoot = root, BuildTimeout = TimeSpan.FromSeconds(2) });
        // Two self-includes per level, stopping short of the depth limit: 2^40 inclusions, so clang never finishes.
        var sources = new Dictionary<string, string>
        {
            ["loop.c"] = "#if __INCLUDE_LEVEL__ < 40\n#include \"loop.c\"\n#include \"loop.c\"\n#endif\nint main(void) { return 0; }\n",
        };

        var result = await builder.BuildAsync(SourceLanguage.C, sources);

        Assert.Equal(BuildStatus.TimedOut, result.Status);
        Assert.Contains("time limit of 2 s", result.Error, StringComparison.Ordinal);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(15), $"took {result.Elapsed}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        Assert.Empty(ProcessesWorkingIn(root));
    }

    [Fact]
    public async Task Module_over_the_size_limit_is_refused()
    {
        var builder = fixture.CreateBuilder(new CompilerOptions { ScratchRoot = fixture.ScratchRoot, MaxModuleBytes = 1024 });

        var result = await builder.BuildAsync(SourceLanguage.C, Samples.Echo("echo.c"));

        Assert.Equal(BuildStatus.ModuleTooLarge, result.Status);
        Assert.Null(result.Wasm);
    }

    /// <summary>Processes whose working directory is inside <paramref name="root"/>: a compiler that outlived its build.</summary>
    private static List<string> ProcessesWorkingIn(string root)
    {
        var found = new List<string>();
        foreach (var process in Directory.EnumerateDirectories("/proc").Where(p => int.TryParse(Path.GetFileName(p), out _)))
        {
            try
            {
                var cwd = new FileInfo(Path.Combine(process, "cwd")).LinkTarget;
                if (cwd is not null && cwd.StartsWith(root, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(process)} in {cwd}");
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to look at.
            }
        }

        return found;
    }
}
