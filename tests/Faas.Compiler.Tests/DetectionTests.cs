using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Tests;

[Collection(CompilerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DetectionTests(CompilerFixture fixture)
{
    [Theory]
    [InlineData(SourceLanguage.C)]
    [InlineData(SourceLanguage.Cpp)]
    [InlineData(SourceLanguage.Rust)]
    [InlineData(SourceLanguage.AssemblyScript)]
    public async Task Installed_toolchain_is_reported_available_with_its_version(SourceLanguage language)
    {
        var inventory = await fixture.Detector.GetInventoryAsync();

        var report = inventory[language];
        Assert.True(report.IsAvailable, report.Describe());
        Assert.False(string.IsNullOrWhiteSpace(report.Version));
    }

    [Fact]
    public async Task Builds_run_sandboxed_where_bubblewrap_is_installed()
    {
        var inventory = await fixture.Detector.GetInventoryAsync();

        Assert.True(inventory.Sandboxed, $"bubblewrap is installed by .ci/run, so builds must run sandboxed: {inventory[SourceLanguage.C].Describe()}");
    }

    [Fact]
    public async Task Without_the_sandbox_no_language_can_be_built_and_the_report_names_bubblewrap()
    {
        var detector = CompilerFixture.CreateDetector(new CompilerOptions { BubblewrapPath = "/nonexistent/bwrap" });

        var inventory = await detector.GetInventoryAsync();

        Assert.False(inventory.Sandboxed);
        Assert.All(inventory.Reports.Values, report =>
        {
            Assert.False(report.IsAvailable);
            Assert.Contains("bubblewrap", report.InstallPackages);
            Assert.Contains("/nonexistent/bwrap", report.Describe(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Missing_asc_makes_assemblyscript_unavailable_naming_the_npm_package()
    {
        var detector = CompilerFixture.CreateDetector(new CompilerOptions { AscPath = "/nonexistent/asc" });

        var report = (await detector.GetInventoryAsync())[SourceLanguage.AssemblyScript];

        Assert.False(report.IsAvailable);
        Assert.Equal(["npm:assemblyscript"], report.InstallPackages);
    }

    [Fact]
    public async Task Missing_clang_makes_c_and_cpp_unavailable_naming_the_package()
    {
        var detector = CompilerFixture.CreateDetector(new CompilerOptions { ClangPath = "/nonexistent/clang-14" });

        var inventory = await detector.GetInventoryAsync();

        foreach (var language in new[] { SourceLanguage.C, SourceLanguage.Cpp })
        {
            Assert.False(inventory[language].IsAvailable);
            Assert.Contains("clang", inventory[language].InstallPackages);
            Assert.Contains("/nonexistent/clang-14", inventory[language].Describe(), StringComparison.Ordinal);
        }

        Assert.True(inventory[SourceLanguage.Rust].IsAvailable);
    }

    [Fact]
    public async Task Missing_wasi_sysroot_names_wasi_libc_and_libcxx()
    {
        var detector = CompilerFixture.CreateDetector(new CompilerOptions { WasiSysroot = "/nonexistent" });

        var inventory = await detector.GetInventoryAsync();

        Assert.True(inventory.Sandboxed, inventory[SourceLanguage.C].Describe());
        Assert.Equal(["wasi-libc"], inventory[SourceLanguage.C].InstallPackages);
        Assert.Equal(["wasi-libc", "libc++-dev-wasm32"], inventory[SourceLanguage.Cpp].InstallPackages);
    }

    [Fact]
    public async Task Build_with_a_missing_toolchain_fails_naming_what_to_install()
    {
        var builder = fixture.CreateBuilder(new CompilerOptions { ScratchRoot = fixture.ScratchRoot, RustcPath = "/nonexistent/rustc" });

        var result = await builder.BuildAsync(SourceLanguage.Rust, Samples.Echo("echo.rs"));

        Assert.Equal(BuildStatus.ToolchainUnavailable, result.Status);
        Assert.Contains("install rustc", result.Error, StringComparison.Ordinal);
    }
}
