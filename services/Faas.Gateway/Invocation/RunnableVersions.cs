using Faas.Caching;
using Faas.Gateway.Errors;
using Faas.Storage.Model;
using Faas.Storage.Postgres;

namespace Faas.Gateway.Invocation;

/// <summary>The version an invocation runs (see <see cref="RunnableVersions"/>); what the invoke paths depend on.</summary>
public interface IRunnableVersions
{
    /// <summary>The pinned version, or for <paramref name="version"/> 0 the newest READY one; throws when there is none.</summary>
    ValueTask<FunctionVersion> ResolveAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken);
}

/// <summary>
/// The version an invocation runs, from the in-memory registry: the pinned one, or the newest READY one (a
/// newer version still building, or failed, is not live). When there is none, says why: no such function
/// or version (NOT_FOUND), or nothing built yet (FAILED_PRECONDITION, naming the latest version's state).
/// </summary>
public sealed class RunnableVersions(FunctionRegistry registry, FunctionStore functions) : IRunnableVersions
{
    public async ValueTask<FunctionVersion> ResolveAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken)
    {
        Deployment.DeployValidator.ValidateName(name);
        var function = await registry.ResolveAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false)
            ?? throw await NotRunnableAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false);
        if (function.State != VersionState.Ready || function.ModuleSha256 is null)
        {
            throw new FunctionNotReadyException($"Version {function.Version} of function '{name}' is {StateName(function.State)}, not ready to run.");
        }

        return function;
    }

    /// <summary>Off the hot path: only when nothing resolved.</summary>
    private async Task<GatewayException> NotRunnableAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken)
    {
        if (version != 0 || await functions.GetAsync(tenantId, name, cancellationToken).ConfigureAwait(false) is not { Latest: { } latest })
        {
            return new FunctionNotFoundException(name, version);
        }

        return new FunctionNotReadyException(
            $"Function '{name}' has no version ready to run yet: its latest, version {latest.Version}, is {StateName(latest.State)}"
            + (latest.State == VersionState.Building ? "; try again when its build has finished." : "; deploy a version that builds."));
    }

    /// <summary>A state as the API spells it.</summary>
    public static string StateName(VersionState state) => state switch
    {
        VersionState.Building => "BUILDING",
        VersionState.BuildFailed => "BUILD_FAILED",
        _ => "READY",
    };
}
