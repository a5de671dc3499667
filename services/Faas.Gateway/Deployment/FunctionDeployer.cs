using System.Diagnostics;
using Faas.Caching;
using Faas.Compiler.Toolchains.Builds;
using Faas.Gateway.Errors;
using Faas.Queues;
using Faas.Storage;
using Faas.Storage.Model;
using Faas.Storage.Secrets;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Gateway.Deployment;

/// <summary>
/// Deploys a version. WebAssembly: validates the request, turns the text into a module, checks the module
/// against the function contract with the runtime's own engine, stores it content-addressed and records a
/// READY version. Compiled languages: checks the sources, and either reuses the module an identical input
/// produced before (READY at once) or records a BUILDING version with its build and queues the build for
/// the compiler, waiting for it when asked. JavaScript: stores the source as it is, content-addressed, and
/// records a READY version (sinks that support the javascript runtime run it). Either way the mesh hears that
/// the function changed.
/// </summary>
public sealed partial class FunctionDeployer(
    ModuleBuilder moduleBuilder,
    ArtifactStore artifacts,
    FunctionStore functions,
    BuildStore builds,
    BuildQueue buildQueue,
    BuildWaiter buildWaiter,
    FunctionRegistry registry,
    TenantQuotas quotas,
    FunctionSecrets secrets,
    IOptions<GatewayOptions> options,
    ILogger<FunctionDeployer> logger)
{
    public async Task<FunctionVersion> DeployAsync(Guid tenantId, DeployCommand command, CancellationToken cancellationToken)
    {
        DeployValidator.Validate(command, options.Value.MaxModuleBytes, options.Value.MaxSourceBytes);
        if (command.Secrets is { Count: > 0 } plain)
        {
            command = command with
            {
                Config = command.Config with { SealedSecrets = secrets.Seal(plain), SecretNames = plain.Keys.Order(StringComparer.Ordinal).ToList() },
                Secrets = null,
            };
        }

        if (command.IsJavaScript)
        {
            return await DeployJavaScriptAsync(tenantId, command, cancellationToken).ConfigureAwait(false);
        }

        if (!command.IsWebAssembly)
        {
            return await DeploySourceAsync(tenantId, command, cancellationToken).ConfigureAwait(false);
        }

        var wasm = moduleBuilder.Build(command.Language, command.Source, command.Wasm);
        var maxFunctions = (await quotas.GetAsync(tenantId, cancellationToken).ConfigureAwait(false)).MaxFunctions;
        var sha256 = await artifacts.PutAsync(wasm, cancellationToken).ConfigureAwait(false);
        var version = await QuotaCheckedAsync(command.Name, () => functions.AddVersionAsync(
            tenantId, command.Name, command.Language, VersionState.Ready, sha256,
            command.Language == "wasm" ? null : command.Source, command.Config, command.Description, cancellationToken, maxFunctions,
            options.Value.MaxVersionsPerFunction)).ConfigureAwait(false);
        await registry.InvalidateAsync(tenantId, command.Name).ConfigureAwait(false);
        LogDeployed(logger, command.Name, version.Version, sha256, wasm.Length);
        return version;
    }

    /// <summary>No compilation: the source's UTF-8 bytes are the artifact, and the version is READY at once.</summary>
    private async Task<FunctionVersion> DeployJavaScriptAsync(Guid tenantId, DeployCommand command, CancellationToken cancellationToken)
    {
        var code = System.Text.Encoding.UTF8.GetBytes(command.Source!);
        var maxFunctions = (await quotas.GetAsync(tenantId, cancellationToken).ConfigureAwait(false)).MaxFunctions;
        var sha256 = await artifacts.PutAsync(code, cancellationToken).ConfigureAwait(false);
        var version = await QuotaCheckedAsync(command.Name, () => functions.AddVersionAsync(
            tenantId, command.Name, command.Language, VersionState.Ready, sha256,
            command.Source, command.Config, command.Description, cancellationToken, maxFunctions, options.Value.MaxVersionsPerFunction)).ConfigureAwait(false);
        await registry.InvalidateAsync(tenantId, command.Name).ConfigureAwait(false);
        LogDeployedJavaScript(logger, command.Name, version.Version, sha256, code.Length);
        return version;
    }

    private async Task<FunctionVersion> DeploySourceAsync(Guid tenantId, DeployCommand command, CancellationToken cancellationToken)
    {
        var input = SourceSets.ToBuildInput(command, new SourceLimits(options.Value.MaxSourceFiles, options.Value.MaxSourceBytes));
        var cached = await builds.FindOutputAsync(input.SourceSha256, cancellationToken).ConfigureAwait(false);
        var maxFunctions = (await quotas.GetAsync(tenantId, cancellationToken).ConfigureAwait(false)).MaxFunctions;
        var version = await QuotaCheckedAsync(command.Name, () => builds.AddVersionAsync(
            tenantId, command.Name, input, cached, command.Config, command.Description, cancellationToken, maxFunctions,
            options.Value.MaxVersionsPerFunction)).ConfigureAwait(false);
        if (cached is not null)
        {
            await registry.InvalidateAsync(tenantId, command.Name).ConfigureAwait(false);
            LogDeployedFromCache(logger, command.Name, version.Version, cached);
            return version;
        }

        try
        {
            await buildQueue.EnqueueAsync(new BuildTicket(version.FunctionId, version.Version, Activity.Current?.Id)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The version and its build are written: the compiler's sweep queues it once Redis is back.
            LogEnqueueFailed(logger, command.Name, version.Version, exception.Message);
        }

        await registry.InvalidateAsync(tenantId, command.Name).ConfigureAwait(false);
        LogBuildQueued(logger, command.Name, version.Version, command.Language, input.Sources.Count);
        return command.Wait
            ? await buildWaiter.WaitAsync(tenantId, command.Name, version.Version, options.Value.MaxBuildWait, cancellationToken).ConfigureAwait(false)
                ?? throw new FunctionNotFoundException(command.Name, version.Version)
            : version;
    }

    /// <summary>
    /// A new version of the function with the latest version's module, config and env, and its secrets changed:
    /// <paramref name="set"/> added or replaced, <paramref name="remove"/> removed. No build: the latest version must be READY.
    /// </summary>
    public async Task<FunctionVersion> UpdateSecretsAsync(
        Guid tenantId, string name, IReadOnlyDictionary<string, string> set, IReadOnlyCollection<string> remove, CancellationToken cancellationToken)
    {
        DeployValidator.ValidateName(name);
        if (set.Count == 0 && remove.Count == 0)
        {
            throw new InvalidRequestException("Name at least one secret to set or to remove.");
        }

        if (remove.FirstOrDefault(set.ContainsKey) is { } both)
        {
            throw new InvalidRequestException($"The secret {Echo.Short(both)} is both set and removed; do one.");
        }

        var latest = (await functions.GetAsync(tenantId, name, cancellationToken).ConfigureAwait(false))?.Latest
            ?? throw new FunctionNotFoundException(name);
        if (latest.State != VersionState.Ready || latest.ModuleSha256 is null)
        {
            throw new FunctionNotRunnableException(
                $"Function '{name}' is {latest.State.ToString().ToUpperInvariant()} at version {latest.Version}: its secrets change on a READY version; wait for the build, or deploy one that builds.");
        }

        var merged = new Dictionary<string, string>(
            latest.Config.SealedSecrets is { } sealedSecrets ? secrets.Unseal(sealedSecrets) : new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var key in remove)
        {
            if (!merged.Remove(key))
            {
                throw new InvalidRequestException($"Function '{name}' has no secret {Echo.Short(key)} to remove.");
            }
        }

        foreach (var (key, value) in set)
        {
            merged[key] = value;
        }

        var config = latest.Config with { SealedSecrets = null, SecretNames = [] };
        DeployValidator.ValidateConfig(config, merged);
        if (merged.Count > 0)
        {
            config = config with { SealedSecrets = secrets.Seal(merged), SecretNames = merged.Keys.Order(StringComparer.Ordinal).ToList() };
        }

        var maxFunctions = (await quotas.GetAsync(tenantId, cancellationToken).ConfigureAwait(false)).MaxFunctions;
        var version = await QuotaCheckedAsync(name, () => functions.AddVersionAsync(
            tenantId, name, latest.Language, VersionState.Ready, latest.ModuleSha256, null, config, latest.Description, cancellationToken,
            maxFunctions, options.Value.MaxVersionsPerFunction)).ConfigureAwait(false);
        await registry.InvalidateAsync(tenantId, name).ConfigureAwait(false);
        LogSecretsUpdated(logger, name, version.Version, set.Count, remove.Count);
        return version;
    }

    /// <summary>
    /// A deploy over the tenant's function quota: RESOURCE_EXHAUSTED / HTTP 429; beyond the function's versions:
    /// FAILED_PRECONDITION / HTTP 409, until old versions are deleted.
    /// </summary>
    private static async Task<FunctionVersion> QuotaCheckedAsync(string name, Func<Task<FunctionVersion>> add)
    {
        try
        {
            return await add().ConfigureAwait(false);
        }
        catch (FunctionQuotaExceededException e)
        {
            throw new CapacityExceededException(e.Message, 60);
        }
        catch (VersionLimitExceededException e)
        {
            throw new LimitReachedException(
                $"{e.Message} (Gateway:MaxVersionsPerFunction): delete old versions (DELETE /v1/functions/{name}/versions/{{version}}, "
                + "gRPC DeleteFunctionVersion) and deploy again.");
        }
    }

    public async Task DeleteAsync(Guid tenantId, string name, CancellationToken cancellationToken)
    {
        DeployValidator.ValidateName(name);
        if (!await functions.DeleteAsync(tenantId, name, cancellationToken).ConfigureAwait(false))
        {
            throw new FunctionNotFoundException(name);
        }

        await registry.InvalidateAsync(tenantId, name).ConfigureAwait(false);
        LogDeleted(logger, name);
    }

    /// <summary>Deletes one version; the latest and the one invocations run stay (FAILED_PRECONDITION / HTTP 409).</summary>
    public async Task DeleteVersionAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken)
    {
        DeployValidator.ValidateName(name);
        if (version < 1)
        {
            throw new InvalidRequestException("Versions start at 1.");
        }

        switch (await functions.DeleteVersionAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false))
        {
            case VersionDeletion.NotFound:
                throw new FunctionNotFoundException(name, version);
            case VersionDeletion.Latest:
                throw new LimitReachedException($"Version {version} is the latest of function '{name}' and stays; delete the function to remove it.");
            case VersionDeletion.Serving:
                throw new LimitReachedException(
                    $"Version {version} is the one invocations of function '{name}' run and stays until a newer version is ready; delete the function to remove it.");
        }

        await registry.InvalidateAsync(tenantId, name).ConfigureAwait(false);
        LogVersionDeleted(logger, name, version);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Deployed {Function} version {Version} (module {Sha256}, {Size} bytes)")]
    private static partial void LogDeployed(ILogger logger, string function, int version, string sha256, int size);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Deleted {Function}")]
    private static partial void LogDeleted(ILogger logger, string function);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Deployed {Function} version {Version} from source built before (module {Sha256})")]
    private static partial void LogDeployedFromCache(ILogger logger, string function, int version, string sha256);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Queued the build of {Function} version {Version} ({Language}, {Files} files)")]
    private static partial void LogBuildQueued(ILogger logger, string function, int version, string language, int files);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Could not queue the build of {Function} version {Version}; the compiler's sweep will: {Reason}")]
    private static partial void LogEnqueueFailed(ILogger logger, string function, int version, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Deployed {Function} version {Version} (JavaScript source {Sha256}, {Size} bytes)")]
    private static partial void LogDeployedJavaScript(ILogger logger, string function, int version, string sha256, int size);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Deleted version {Version} of {Function}")]
    private static partial void LogVersionDeleted(ILogger logger, string function, int version);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Changed the secrets of {Function} as version {Version} ({Set} set, {Removed} removed)")]
    private static partial void LogSecretsUpdated(ILogger logger, string function, int version, int set, int removed);
}
