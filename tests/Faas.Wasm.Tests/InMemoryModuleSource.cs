using System.Collections.Concurrent;
using Faas.Wasm.Modules;

namespace Faas.Wasm.Tests;

/// <summary>Modules held in memory by their hash, as the artifact store would serve them.</summary>
internal sealed class InMemoryModuleSource : IModuleSource
{
    private readonly ConcurrentDictionary<string, byte[]> wasm = new();

    public string Add(byte[] module)
    {
        var sha256 = ModuleHash.Of(module);
        wasm[sha256] = module;
        return sha256;
    }

    public Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken) =>
        Task.FromResult(wasm.GetValueOrDefault(sha256));
}
