using Faas.Gateway.Deployment;
using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Gateway.Http;
using Faas.Gateway.Toolchains;
using Faas.Protos.V1;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Grpc;

public sealed class FunctionsService(
    FunctionDeployer deployer, FunctionStore functions, BuildStore builds, ToolchainDirectory toolchains, IOptions<GatewayOptions> options)
    : Functions.FunctionsBase
{
    public override async Task<Protos.V1.FunctionVersion> DeployFunction(DeployFunctionRequest request, ServerCallContext context)
    {
        var command = new DeployCommand(
            request.Name, request.Language.Trim().ToLowerInvariant(), request.Source,
            request.Wasm.IsEmpty ? null : request.Wasm.ToByteArray(), ProtoMapping.ToDomain(request.Config), request.Description,
            request.Archive.IsEmpty ? null : request.Archive.ToByteArray(), request.EntryFile, request.Wait || WaitRequestedInQuery(context),
            request.Config is { Secrets.Count: > 0 } config ? new Dictionary<string, string>(config.Secrets, StringComparer.Ordinal) : null);
        var version = await deployer.DeployAsync(context.TenantId(), command, context.CancellationToken).ConfigureAwait(false);
        return await WithBuildAsync(version, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<Protos.V1.FunctionVersion> UpdateFunctionSecrets(UpdateFunctionSecretsRequest request, ServerCallContext context)
    {
        var version = await deployer.UpdateSecretsAsync(
            context.TenantId(), request.Name, request.Set, request.Remove.ToList(), context.CancellationToken).ConfigureAwait(false);
        return await WithBuildAsync(version, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<Protos.V1.Function> GetFunction(GetFunctionRequest request, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        var function = await functions.GetAsync(context.TenantId(), request.Name, context.CancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name);
        var build = function.Latest is { } latest
            ? await builds.GetAsync(latest.FunctionId, latest.Version, context.CancellationToken).ConfigureAwait(false)
            : null;
        return ProtoMapping.ToProto(function, build);
    }

    public override async Task<ListFunctionsResponse> ListFunctions(ListFunctionsRequest request, ServerCallContext context)
    {
        var page = await functions.ListAsync(context.TenantId(), Paging.Size(request.PageSize, options.Value), request.PageToken, context.CancellationToken)
            .ConfigureAwait(false);
        var (items, next) = Paging.Fit(page, f => ProtoMapping.ToProto(f), options.Value);
        var response = new ListFunctionsResponse { NextPageToken = next };
        response.Functions.Add(items);
        return response;
    }

    public override async Task<Empty> DeleteFunction(DeleteFunctionRequest request, ServerCallContext context)
    {
        await deployer.DeleteAsync(context.TenantId(), request.Name, context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    public override async Task<Empty> DeleteFunctionVersion(DeleteFunctionVersionRequest request, ServerCallContext context)
    {
        await deployer.DeleteVersionAsync(context.TenantId(), request.Name, (int)request.Version, context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    public override async Task<Protos.V1.FunctionVersion> GetFunctionVersion(GetFunctionVersionRequest request, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        if (request.Version == 0)
        {
            throw new InvalidRequestException("Versions start at 1.");
        }

        var version = await functions.GetVersionAsync(context.TenantId(), request.Name, (int)request.Version, context.CancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name, (int)request.Version);
        return await WithBuildAsync(version, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ListFunctionVersionsResponse> ListFunctionVersions(ListFunctionVersionsRequest request, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        var page = await functions.ListVersionsAsync(
            context.TenantId(), request.Name, Paging.Size(request.PageSize, options.Value), request.PageToken, context.CancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name);
        var versionBuilds = page.Items.Count == 0
            ? new Dictionary<int, BuildRecord>()
            : await builds.ListAsync(page.Items[0].FunctionId, page.Items.Select(v => v.Version).ToArray(), context.CancellationToken).ConfigureAwait(false);
        var (items, next) = Paging.Fit(page, v => ProtoMapping.ToProto(v, versionBuilds.GetValueOrDefault(v.Version)), options.Value);
        var response = new ListFunctionVersionsResponse { NextPageToken = next };
        response.Versions.Add(items);
        return response;
    }

    public override Task<ListToolchainsResponse> ListToolchains(ListToolchainsRequest request, ServerCallContext context) =>
        toolchains.ListAsync(context.CancellationToken);

    private async Task<Protos.V1.FunctionVersion> WithBuildAsync(Storage.Model.FunctionVersion version, CancellationToken cancellationToken) =>
        ProtoMapping.ToProto(version, version.Language is "wat" or "wasm" or FunctionRuntimes.JavaScript
            ? null
            : await builds.GetAsync(version.FunctionId, version.Version, cancellationToken).ConfigureAwait(false));

    /// <summary>REST's <c>POST /v1/functions?wait=true</c>: the body carries every field, so the query is read here.</summary>
    private static bool WaitRequestedInQuery(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        return HttpStatusOverride.IsTranscoded(http)
            && http.Request.Query.TryGetValue("wait", out var wait)
            && (string.Equals(wait, "true", StringComparison.OrdinalIgnoreCase) || wait == "1");
    }
}
