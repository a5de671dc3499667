using Faas.Wasm.Modules;
using Faas.Sinks.Client;

namespace Faas.Worker.Sinks;

/// <summary>
/// Modules of a worker that pulls its tasks: fetched from the sink manager (GetArtifact) on a cache miss, so the
/// worker needs no database. The sink manager serves the code of the functions this sink was given tasks for.
/// </summary>
/// <remarks>The agent is resolved on first use: it depends, through the task runner, on the module cache.</remarks>
internal sealed class SinkArtifactModuleSource(IServiceProvider services) : IModuleSource
{
    public Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken) =>
        services.GetRequiredService<SinkAgent>().GetArtifactAsync(sha256, cancellationToken);
}
