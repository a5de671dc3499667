namespace Faas.Wasm.Validation;

/// <summary>The verdict on a module: valid with its binary form, or invalid with a reason a user can act on.</summary>
public sealed record ModuleValidationResult
{
    private ModuleValidationResult(byte[]? wasm, string? error, byte[]? precompiled = null)
    {
        Wasm = wasm;
        Error = error;
        Precompiled = precompiled;
    }

    /// <summary>The module in binary form (converted from text where it was text); null when invalid.</summary>
    public byte[]? Wasm { get; }

    /// <summary>
    /// The module compiled for engines with <see cref="Engines.WasmEngineFactory.Fingerprint"/> (Wasmtime's
    /// serialized form), when asked for and valid; loads with <c>Module.Deserialize</c> in microseconds.
    /// </summary>
    public byte[]? Precompiled { get; }

    /// <summary>Why the module was rejected; null when valid.</summary>
    public string? Error { get; }

    public bool IsValid => Error is null;

    public static ModuleValidationResult Valid(byte[] wasm, byte[]? precompiled = null) => new(wasm, null, precompiled);

    public static ModuleValidationResult Invalid(string error) => new(null, error);
}
