namespace Faas.Wasm.Validation;

/// <summary>
/// What a function module must look like: a WASI preview1 command that exports <c>_start</c> and its
/// memory, and imports nothing but <c>wasi_snapshot_preview1</c>.
/// </summary>
public static class FunctionContract
{
    public const string EntryPoint = "_start";
    public const string MemoryExport = "memory";
    public const string ImportModule = "wasi_snapshot_preview1";
}
