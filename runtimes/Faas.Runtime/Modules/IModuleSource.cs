namespace Faas.Runtime.Modules;

/// <summary>Where a worker gets a module's bytes on a cache miss (the artifact store in the mesh).</summary>
public interface IModuleSource
{
    /// <summary>The WebAssembly module whose sha256 is <paramref name="sha256"/>, or null if there is none.</summary>
    Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken);
}
