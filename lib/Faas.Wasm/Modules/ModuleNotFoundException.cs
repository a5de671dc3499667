namespace Faas.Wasm.Modules;

/// <summary>No module with the requested sha256 exists.</summary>
public sealed class ModuleNotFoundException(string sha256)
    : Exception($"No module with sha256 {sha256} exists.")
{
    public string Sha256 { get; } = sha256;
}
