using Faas.Runtime.Options;

namespace Faas.Runtime.Tests.Options;

public sealed class RuntimeOptionsValidatorTests
{
    private readonly RuntimeOptionsValidator validator = new();

    [Fact]
    public void Defaults_are_valid()
    {
        var options = new RuntimeOptions();

        Assert.True(validator.Validate(null, options).Succeeded);
        Assert.Equal(Environment.ProcessorCount, options.Slots);
        Assert.Equal(6 * 1024 * 1024, options.MaxOutputBytes);
        Assert.StartsWith(Path.GetTempPath(), options.CacheDirectory);
    }

    [Fact]
    public void Rejects_settings_the_worker_cannot_honour_naming_each()
    {
        var options = new RuntimeOptions { WorkerId = " ", Slots = 0, MaxOutputBytes = 0, DefaultMemoryMb = 8192 };

        var result = validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Runtime:WorkerId", result.FailureMessage);
        Assert.Contains("Runtime:Slots", result.FailureMessage);
        Assert.Contains("Runtime:MaxOutputBytes", result.FailureMessage);
        Assert.Contains("Runtime:DefaultMemoryMb", result.FailureMessage);
    }
}
