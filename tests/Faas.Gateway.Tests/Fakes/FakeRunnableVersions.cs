using System.Collections.Concurrent;
using Faas.Gateway.Errors;
using Faas.Gateway.Invocation;
using Faas.Storage.Model;

namespace Faas.Gateway.Tests.Fakes;

/// <summary>
/// The registry as the invoke paths see it, without a database: the versions it knows, by name (any version number
/// asked for resolves to it); an unknown name fails as the real one does. Every lookup is recorded.
/// </summary>
internal sealed class FakeRunnableVersions : IRunnableVersions
{
    private readonly ConcurrentDictionary<string, FunctionVersion> functions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(Guid TenantId, string Name, int Version)> lookups = new();

    /// <summary>The lookups made so far, in order.</summary>
    public IReadOnlyList<(Guid TenantId, string Name, int Version)> Lookups => [.. lookups];

    public FunctionVersion Add(FunctionVersion function)
    {
        functions[function.FunctionName] = function;
        return function;
    }

    public ValueTask<FunctionVersion> ResolveAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken)
    {
        lookups.Enqueue((tenantId, name, version));
        return functions.TryGetValue(name, out var function) && function.TenantId == tenantId
            ? ValueTask.FromResult(function)
            : ValueTask.FromException<FunctionVersion>(new FunctionNotFoundException(name, version));
    }

    /// <summary>A READY version of a function, its config as given.</summary>
    public static FunctionVersion Ready(Guid tenantId, string name, int version, FunctionConfig? config = null) => new(
        tenantId, Guid.NewGuid(), name, version, "rust", VersionState.Ready, new string('c', 64), 4096,
        config ?? new FunctionConfig(), "", DateTimeOffset.UnixEpoch);
}
