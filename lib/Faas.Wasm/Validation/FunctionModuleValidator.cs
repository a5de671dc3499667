using Faas.Wasm.Engines;
using Faas.Wasm.Wasi;
using Wasmtime;

namespace Faas.Wasm.Validation;

/// <summary>
/// Decides whether a module can be deployed as a function: Wasmtime must accept it, it must keep the
/// <see cref="FunctionContract"/>, and it must fit the workers' instance pool (tables, memories, instance state:
/// <see cref="WasmEngineFactory"/>'s limits), which would otherwise refuse it at every run. Bad input is a result,
/// never an exception. Thread-safe.
/// </summary>
/// <param name="engine">An engine from <see cref="WasmEngineFactory"/> (validation compiles the module).</param>
public sealed class FunctionModuleValidator(Engine engine)
{
    private static readonly string WorkerLimits =
        $"a module may define {WasmEngineFactory.MaxTablesPerModule} table of at most {WasmEngineFactory.MaxTableElements} elements, "
        + $"{WasmEngineFactory.MaxMemoriesPerModule} memory of at most {WasmEngineFactory.MaxMemoryBytes / (64 * 1024)} pages ({WasmEngineFactory.MaxMemoryMb} MiB) "
        + $"and {WasmEngineFactory.MaxInstanceStateBytes / 1024} KiB of instance state (globals, function references)";

    /// <summary>The workers' pool limits, on a pool of one instance; created on first use, shared by the process.</summary>
    private static readonly Lazy<Engine> LimitCheck = new(WasmEngineFactory.CreateForLimitCheck);

    /// <summary>Converts WebAssembly text to a binary module and validates that.</summary>
    public ModuleValidationResult ValidateText(string wat)
    {
        byte[] wasm;
        try
        {
            wasm = Module.ConvertText(wat);
        }
        catch (WasmtimeException exception)
        {
            return ModuleValidationResult.Invalid($"Invalid WebAssembly text: {exception.Message}");
        }

        return Validate(wasm);
    }

    /// <summary>Validates a binary module.</summary>
    public ModuleValidationResult Validate(byte[] wasm) => Validate(wasm, precompile: false);

    /// <summary>
    /// Validates a binary module and, when <paramref name="precompile"/> and valid, keeps the compilation
    /// validation needs anyway as <see cref="ModuleValidationResult.Precompiled"/> (no second compile).
    /// </summary>
    public ModuleValidationResult Validate(byte[] wasm, bool precompile)
    {
        ArgumentNullException.ThrowIfNull(wasm);
        if (Module.Validate(engine, wasm) is { } reason)
        {
            return ModuleValidationResult.Invalid($"Invalid WebAssembly module: {reason}");
        }

        Module module;
        try
        {
            module = Module.FromBytes(engine, "function", wasm);
        }
        catch (WasmtimeException exception)
        {
            return ModuleValidationResult.Invalid($"The module does not compile: {exception.Message}");
        }

        using (module)
        {
            if (CheckContract(module) is { } violation)
            {
                return ModuleValidationResult.Invalid(violation);
            }

            var compiled = module.Serialize();
            return CheckWorkerLimits(compiled) is { } exceeded
                ? ModuleValidationResult.Invalid(exceeded)
                : ModuleValidationResult.Valid(wasm, precompile ? compiled : null);
        }
    }

    /// <summary>Loads the compiled module into an engine with the workers' pool limits, which checks them all (no second compile).</summary>
    private static string? CheckWorkerLimits(byte[] compiled)
    {
        try
        {
            using var pooled = Module.Deserialize(LimitCheck.Value, "function", compiled);
            return null;
        }
        catch (WasmtimeException exception)
        {
            return $"The module exceeds the limits of the platform's workers: {RootCause(exception)} ({WorkerLimits}).";
        }
    }

    /// <summary>
    /// The innermost cause of Wasmtime's error ("table index 0 has a minimum element size of ... which exceeds the limit
    /// of ..."): the last numbered cause after "Caused by:", or its first line when the causes are not numbered.
    /// </summary>
    private static string RootCause(WasmtimeException exception)
    {
        const string CausedBy = "Caused by:";
        var message = exception.Message;
        var split = message.IndexOf(CausedBy, StringComparison.Ordinal);
        var lines = message[(split < 0 ? 0 : split + CausedBy.Length)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var numbered = lines.Where(line => NumberLength(line) > 0).ToList();
        var cause = numbered.Count > 0 ? numbered[^1][(NumberLength(numbered[^1]) + 1)..].TrimStart() : lines.FirstOrDefault() ?? message;
        // "...; breakdown of allocation requirement:" introduces lines that add nothing for a user.
        var introduction = cause.EndsWith(':') ? cause.LastIndexOf("; ", StringComparison.Ordinal) : -1;
        return introduction > 0 ? cause[..introduction] : cause;
    }

    /// <summary>The length of a cause number ("1" in "1: ..."), or 0.</summary>
    private static int NumberLength(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && !line.AsSpan(0, colon).ContainsAnyExceptInRange('0', '9') ? colon : 0;
    }

    private static string? CheckContract(Module module)
    {
        var entryPoint = module.Exports.OfType<FunctionExport>().FirstOrDefault(e => e.Name == FunctionContract.EntryPoint);
        if (entryPoint is null)
        {
            return $"The module does not export a `{FunctionContract.EntryPoint}` function: a function is a WASI command module.";
        }

        if (entryPoint.Parameters.Count != 0 || entryPoint.Results.Count != 0)
        {
            return $"`{FunctionContract.EntryPoint}` must take no parameters and return nothing.";
        }

        if (!module.Exports.OfType<MemoryExport>().Any(e => e.Name == FunctionContract.MemoryExport))
        {
            return $"The module does not export its memory as `{FunctionContract.MemoryExport}`.";
        }

        foreach (var import in module.Imports)
        {
            if (import.ModuleName != FunctionContract.ImportModule)
            {
                return $"The module imports `{import.ModuleName}.{import.Name}`: functions may import only from `{FunctionContract.ImportModule}`.";
            }

            if (import is not FunctionImport || !WasiPreview1.FunctionNames.Contains(import.Name))
            {
                return $"The module imports `{import.ModuleName}.{import.Name}`, which the platform does not provide.";
            }
        }

        return null;
    }
}
