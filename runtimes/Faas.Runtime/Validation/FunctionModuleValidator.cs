using Faas.Runtime.Wasi;
using Wasmtime;

namespace Faas.Runtime.Validation;

/// <summary>
/// Decides whether a module can be deployed as a function: Wasmtime must accept it, and it must keep the
/// <see cref="FunctionContract"/>. Bad input is a result, never an exception. Thread-safe.
/// </summary>
/// <param name="engine">An engine from <see cref="Engines.WasmEngineFactory"/> (validation compiles the module).</param>
public sealed class FunctionModuleValidator(Engine engine)
{
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
            return CheckContract(module) is { } violation
                ? ModuleValidationResult.Invalid(violation)
                : ModuleValidationResult.Valid(wasm, precompile ? module.Serialize() : null);
        }
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
