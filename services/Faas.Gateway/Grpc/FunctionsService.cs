using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Grpc;

public sealed class FunctionsService(FunctionDeployer deployer, FunctionStore functions, IOptions<GatewayOptions> options)
    : Functions.FunctionsBase
{
    public override async Task<Protos.V1.FunctionVersion> DeployFunction(DeployFunctionRequest request, ServerCallContext context)
    {
        var command = new DeployCommand(
            request.Name, request.Language.Trim().ToLowerInvariant(), request.Source,
            request.Wasm.IsEmpty ? null : request.Wasm.ToByteArray(), ProtoMapping.ToDomain(request.Config), request.Description);
        var version = await deployer.DeployAsync(Tenants.Default, command, context.CancellationToken).ConfigureAwait(false);
        return ProtoMapping.ToProto(version);
    }

    public override async Task<Protos.V1.Function> GetFunction(GetFunctionRequest request, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        var function = await functions.GetAsync(Tenants.Default, request.Name, context.CancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name);
        return ProtoMapping.ToProto(function);
    }

    public override async Task<ListFunctionsResponse> ListFunctions(ListFunctionsRequest request, ServerCallContext context)
    {
        var page = await functions.ListAsync(Tenants.Default, Paging.Size(request.PageSize, options.Value), request.PageToken, context.CancellationToken)
            .ConfigureAwait(false);
        var response = new ListFunctionsResponse { NextPageToken = page.NextPageToken ?? "" };
        response.Functions.Add(page.Items.Select(ProtoMapping.ToProto));
        return response;
    }

    public override async Task<Empty> DeleteFunction(DeleteFunctionRequest request, ServerCallContext context)
    {
        await deployer.DeleteAsync(Tenants.Default, request.Name, context.CancellationToken).ConfigureAwait(false);
        return new Empty();
    }

    public override async Task<Protos.V1.FunctionVersion> GetFunctionVersion(GetFunctionVersionRequest request, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        if (request.Version == 0)
        {
            throw new InvalidRequestException("Versions start at 1.");
        }

        var version = await functions.GetVersionAsync(Tenants.Default, request.Name, (int)request.Version, context.CancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name, (int)request.Version);
        return ProtoMapping.ToProto(version);
    }

    public override async Task<ListFunctionVersionsResponse> ListFunctionVersions(ListFunctionVersionsRequest request, ServerCallContext context)
    {
        DeployValidator.ValidateName(request.Name);
        var page = await functions.ListVersionsAsync(
            Tenants.Default, request.Name, Paging.Size(request.PageSize, options.Value), request.PageToken, context.CancellationToken).ConfigureAwait(false)
            ?? throw new FunctionNotFoundException(request.Name);
        var response = new ListFunctionVersionsResponse { NextPageToken = page.NextPageToken ?? "" };
        response.Versions.Add(page.Items.Select(ProtoMapping.ToProto));
        return response;
    }
}
