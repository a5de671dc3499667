using Faas.Wasm.Options;

namespace Faas.Wasm.Tests.Options;

public sealed class WorkerOptionsValidatorTests
{
    private readonly WorkerOptionsValidator validator = new();

    [Fact]
    public void Defaults_are_valid()
    {
        var options = new WorkerOptions();

        Assert.True(validator.Validate(null, options).Succeeded);
        Assert.Equal(Math.Min(WorkerOptions.SlotsPerCore * Environment.ProcessorCount, Faas.Wasm.Engines.WasmEngineFactory.PooledInstances), options.Slots);
        Assert.Equal(6 * 1024 * 1024, options.MaxOutputBytes);
        Assert.StartsWith(Path.GetTempPath(), options.CacheDirectory);
    }

    [Fact]
    public void Rejects_settings_the_worker_cannot_honour_naming_each()
    {
        var options = new WorkerOptions { WorkerId = " ", Slots = 0, MaxOutputBytes = 0, DefaultMemoryMb = 8192 };

        var result = validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Worker:WorkerId", result.FailureMessage);
        Assert.Contains("Worker:Slots", result.FailureMessage);
        Assert.Contains("Worker:MaxOutputBytes", result.FailureMessage);
        Assert.Contains("Worker:DefaultMemoryMb", result.FailureMessage);
    }
}
