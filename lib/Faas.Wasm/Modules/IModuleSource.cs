namespace Faas.Wasm.Modules;

/// <summary>Where a worker gets a module's bytes on a cache miss (the artifact store in the mesh).</summary>
public interface IModuleSource
{
    /// <summary>The WebAssembly module whose sha256 is <paramref name="sha256"/>, or null if there is none.</summary>
    Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// The module precompiled for engines with <paramref name="engineFingerprint"/>
    /// (<see cref="Engines.WasmEngineFactory.Fingerprint"/>), or null when there is none; the cache then
    /// compiles <see cref="GetWasmAsync"/>'s bytes itself.
    /// </summary>
    Task<byte[]?> GetPrecompiledAsync(string sha256, string engineFingerprint, CancellationToken cancellationToken) =>
        Task.FromResult<byte[]?>(null);
}
