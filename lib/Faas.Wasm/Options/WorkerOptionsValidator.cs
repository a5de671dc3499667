using Faas.Wasm.Engines;
using Microsoft.Extensions.Options;

namespace Faas.Wasm.Options;

/// <summary>Rejects settings the worker cannot honour, at startup rather than at the first call.</summary>
public sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.WorkerId))
        {
            failures.Add("Worker:WorkerId must not be empty.");
        }

        if (options.Slots is < 1 or > WasmEngineFactory.PooledInstances)
        {
            failures.Add($"Worker:Slots must be between 1 and {WasmEngineFactory.PooledInstances}, not {options.Slots}.");
        }

        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            failures.Add("Worker:CacheDirectory must not be empty.");
        }

        if (options.MaxOutputBytes < 1)
        {
            failures.Add($"Worker:MaxOutputBytes must be positive, not {options.MaxOutputBytes}.");
        }

        if (options.LogBytesPerExecution < 0)
        {
            failures.Add($"Worker:LogBytesPerExecution must not be negative, not {options.LogBytesPerExecution}.");
        }

        if (options.StderrTailBytes < 0)
        {
            failures.Add($"Worker:StderrTailBytes must not be negative, not {options.StderrTailBytes}.");
        }

        if (options.MaxCachedModules < 1)
        {
            failures.Add($"Worker:MaxCachedModules must be positive, not {options.MaxCachedModules}.");
        }

        if (options.DefaultTimeoutMs < 1)
        {
            failures.Add($"Worker:DefaultTimeoutMs must be positive, not {options.DefaultTimeoutMs}.");
        }

        if (options.DefaultMemoryMb is < 1 or > WasmEngineFactory.MaxMemoryMb)
        {
            failures.Add($"Worker:DefaultMemoryMb must be between 1 and {WasmEngineFactory.MaxMemoryMb}, not {options.DefaultMemoryMb}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
