namespace Faas.Wasm.Modules;

/// <summary>A module exists but cannot be used: its bytes do not match its hash or do not compile.</summary>
public sealed class ModuleLoadException(string sha256, string reason)
    : Exception($"Module {sha256} cannot be loaded: {reason}")
{
    public string Sha256 { get; } = sha256;

    public string Reason { get; } = reason;
}
