using Faas.Runtime.Engines;
using Microsoft.Extensions.Options;

namespace Faas.Runtime.Options;

/// <summary>Rejects runtime settings the worker cannot honour, at startup rather than at the first call.</summary>
public sealed class RuntimeOptionsValidator : IValidateOptions<RuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, RuntimeOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.WorkerId))
        {
            failures.Add("Runtime:WorkerId must not be empty.");
        }

        if (options.Slots is < 1 or > WasmEngineFactory.PooledInstances)
        {
            failures.Add($"Runtime:Slots must be between 1 and {WasmEngineFactory.PooledInstances}, not {options.Slots}.");
        }

        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
        {
            failures.Add("Runtime:CacheDirectory must not be empty.");
        }

        if (options.MaxOutputBytes < 1)
        {
            failures.Add($"Runtime:MaxOutputBytes must be positive, not {options.MaxOutputBytes}.");
        }

        if (options.StderrTailBytes < 0)
        {
            failures.Add($"Runtime:StderrTailBytes must not be negative, not {options.StderrTailBytes}.");
        }

        if (options.MaxCachedModules < 1)
        {
            failures.Add($"Runtime:MaxCachedModules must be positive, not {options.MaxCachedModules}.");
        }

        if (options.DefaultTimeoutMs < 1)
        {
            failures.Add($"Runtime:DefaultTimeoutMs must be positive, not {options.DefaultTimeoutMs}.");
        }

        if (options.DefaultMemoryMb is < 1 or > WasmEngineFactory.MaxMemoryMb)
        {
            failures.Add($"Runtime:DefaultMemoryMb must be between 1 and {WasmEngineFactory.MaxMemoryMb}, not {options.DefaultMemoryMb}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
