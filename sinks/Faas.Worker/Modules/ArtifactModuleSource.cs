using Faas.Wasm.Modules;
using Faas.Storage.Postgres;

namespace Faas.Worker.Modules;

/// <summary>
/// Modules come from the artifact store (PostgreSQL) on a cache miss: the form precompiled by the compiler
/// for this worker's engine when there is one, else the module itself.
/// </summary>
internal sealed class ArtifactModuleSource(ArtifactStore artifacts) : IModuleSource
{
    public Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken) =>
        artifacts.GetWasmAsync(sha256, cancellationToken);

    public Task<byte[]?> GetPrecompiledAsync(string sha256, string engineFingerprint, CancellationToken cancellationToken) =>
        artifacts.GetPrecompiledAsync(sha256, engineFingerprint, cancellationToken);
}
