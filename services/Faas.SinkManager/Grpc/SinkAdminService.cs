using Faas.Protos.V1;
using Faas.SinkManager.Auth;
using Faas.SinkManager.Membership;
using Faas.Storage.Sinks;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Faas.SinkManager.Grpc;

/// <summary>faas.v1.SinkAdmin: credentials and sinks, for administrators (through the gateway, which checks the role).</summary>
public sealed class SinkAdminService(SinkCredentials credentials, SinkRegistry registry) : SinkAdmin.SinkAdminBase
{
    public override async Task<CreateSinkCredentialResponse> CreateSinkCredential(CreateSinkCredentialRequest request, ServerCallContext context)
    {
        if (!SinkProtocolService.NamePattern().IsMatch(request.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"A credential name has 1..{SinkProtocolService.MaxNameLength} characters: letters, digits, '.', '_' and '-'."));
        }

        try
        {
            var (record, credential) = await credentials.CreateAsync(request.Name, context.CancellationToken).ConfigureAwait(false);
            return new CreateSinkCredentialResponse { Credential = ToProto(record), Secret = credential };
        }
        catch (SinkCredentialConflictException e)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, e.Message));
        }
    }

    public override async Task<ListSinkCredentialsResponse> ListSinkCredentials(ListSinkCredentialsRequest request, ServerCallContext context)
    {
        var response = new ListSinkCredentialsResponse();
        response.Credentials.AddRange((await credentials.ListAsync(context.CancellationToken).ConfigureAwait(false)).Select(ToProto));
        return response;
    }

    public override async Task<SinkCredential> RevokeSinkCredential(RevokeSinkCredentialRequest request, ServerCallContext context)
    {
        if (!Guid.TryParse(request.Id, out var id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{request.Id}' is not a credential id."));
        }

        var record = await credentials.RevokeAsync(id, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"There is no sink credential {request.Id}."));
        registry.RemoveCredential(id);
        return ToProto(record);
    }

    public override Task<ListSinksResponse> ListSinks(ListSinksRequest request, ServerCallContext context)
    {
        var response = new ListSinksResponse();
        response.Sinks.AddRange(registry.List());
        return Task.FromResult(response);
    }

    public override Task<SinkInfo> GetSink(GetSinkRequest request, ServerCallContext context) => Task.FromResult(registry.Get(request.SinkId));

    public override Task<SinkInfo> DeleteSink(DeleteSinkRequest request, ServerCallContext context) => Task.FromResult(registry.Delete(request.SinkId));

    private static SinkCredential ToProto(SinkCredentialRecord record)
    {
        var credential = new SinkCredential
        {
            Id = record.Id.ToString("N"),
            Name = record.Name,
            CreatedAt = Timestamp.FromDateTimeOffset(record.CreatedAt),
        };
        if (record.LastUsedAt is { } used)
        {
            credential.LastUsedAt = Timestamp.FromDateTimeOffset(used);
        }

        if (record.RevokedAt is { } revoked)
        {
            credential.RevokedAt = Timestamp.FromDateTimeOffset(revoked);
        }

        return credential;
    }
}
