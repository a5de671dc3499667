using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new CompilerOptionsValidator().Validate(null, new CompilerOptions()).Succeeded);
    }

    [Fact]
    public void Non_positive_limits_and_empty_paths_are_rejected_by_name()
    {
        var result = new CompilerOptionsValidator().Validate(null, new CompilerOptions { BuildTimeout = TimeSpan.Zero, MaxSourceFiles = 0, ClangPath = "" });

        Assert.True(result.Failed);
        Assert.Contains("Compiler:BuildTimeout", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Compiler:MaxSourceFiles", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Compiler:ClangPath", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Sandbox_limits_out_of_range_are_rejected_by_name()
    {
        var result = new CompilerOptionsValidator().Validate(null, new CompilerOptions { MaxMemoryBytes = 1024, MaxFileBytes = 1, Niceness = 40 });

        Assert.Contains("Compiler:MaxMemoryBytes", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Compiler:MaxFileBytes", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Compiler:Niceness", result.FailureMessage, StringComparison.Ordinal);
    }
}
