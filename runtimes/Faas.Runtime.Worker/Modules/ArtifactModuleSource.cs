using Faas.Runtime.Modules;
using Faas.Storage.Postgres;

namespace Faas.Runtime.Worker.Modules;

/// <summary>Modules come from the artifact store (PostgreSQL) on a cache miss.</summary>
internal sealed class ArtifactModuleSource(ArtifactStore artifacts) : IModuleSource
{
    public Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken) =>
        artifacts.GetWasmAsync(sha256, cancellationToken);
}
