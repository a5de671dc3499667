using Grpc.Core;

namespace Faas.SinkManager.Auth;

/// <summary>The credential behind an authenticated sink call.</summary>
public static class SinkCaller
{
    public static Guid CredentialId(ServerCallContext context) =>
        Guid.TryParseExact(context.GetHttpContext().User.FindFirst(SinkTokens.CredentialClaim)?.Value, "N", out var id)
            ? id
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "The call carries no sink token."));
}
