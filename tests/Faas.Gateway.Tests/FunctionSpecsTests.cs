using Faas.Gateway.Invocation;
using Faas.Storage.Model;

namespace Faas.Gateway.Tests;

public class FunctionSpecsTests
{
    private static FunctionVersion Version(string language) => new(
        Guid.NewGuid(), Guid.NewGuid(), "greet", 1, language, VersionState.Ready, new string('a', 64), 42, new FunctionConfig(), "", DateTimeOffset.UtcNow);

    [Fact]
    public void JavaScript_versions_run_on_the_javascript_runtime() =>
        Assert.Equal("javascript", FunctionSpecs.Of(Version("javascript")).Runtime);

    [Fact]
    public void The_spec_says_whether_the_function_may_run_twice()
    {
        var version = Version("wat") with { Config = new FunctionConfig { Idempotent = true } };

        Assert.True(FunctionSpecs.Of(version).Idempotent);
        Assert.False(FunctionSpecs.Of(Version("wat")).Idempotent);
    }

    [Theory]
    [InlineData("wat")]
    [InlineData("wasm")]
    [InlineData("c")]
    [InlineData("cpp")]
    [InlineData("rust")]
    [InlineData("assemblyscript")]
    public void Every_other_language_runs_as_webassembly(string language) =>
        Assert.Equal("wasm", FunctionSpecs.Of(Version(language)).Runtime);
}
