using Faas.Gateway.Errors;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Faas.Storage.Registry;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Deployment;

/// <summary>
/// Deploys a version: validates the request, turns the source into a module, checks the module against
/// the function contract with the runtime's own engine, stores it content-addressed, records the version
/// and tells the mesh that the function changed.
/// </summary>
public sealed partial class FunctionDeployer(
    ModuleBuilder moduleBuilder,
    ArtifactStore artifacts,
    FunctionStore functions,
    FunctionRegistry registry,
    IOptions<GatewayOptions> options,
    ILogger<FunctionDeployer> logger)
{
    public async Task<FunctionVersion> DeployAsync(Guid tenantId, DeployCommand command, CancellationToken cancellationToken)
    {
        DeployValidator.Validate(command, options.Value.MaxModuleBytes);
        var wasm = moduleBuilder.Build(command.Language, command.Source, command.Wasm);
        var sha256 = await artifacts.PutAsync(wasm, cancellationToken).ConfigureAwait(false);
        var version = await functions.AddVersionAsync(
            tenantId, command.Name, command.Language, VersionState.Ready, sha256,
            command.Language == "wasm" ? null : command.Source, command.Config, command.Description, cancellationToken).ConfigureAwait(false);
        await registry.InvalidateAsync(tenantId, command.Name).ConfigureAwait(false);
        LogDeployed(logger, command.Name, version.Version, sha256, wasm.Length);
        return version;
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

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Deployed {Function} version {Version} (module {Sha256}, {Size} bytes)")]
    private static partial void LogDeployed(ILogger logger, string function, int version, string sha256, int size);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Deleted {Function}")]
    private static partial void LogDeleted(ILogger logger, string function);
}
