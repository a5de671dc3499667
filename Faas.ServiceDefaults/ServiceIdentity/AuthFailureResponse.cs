using Faas.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http;

namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>
/// Writes an authentication or authorization failure the way the caller reads errors (<see cref="ErrorResponse"/>): a gRPC
/// status for gRPC, the transcoding error JSON with HTTP 401/403 for anything else.
/// </summary>
public static class AuthFailureResponse
{
    public const int Unauthenticated = 16;
    public const int PermissionDenied = 7;

    public static Task WriteAsync(HttpContext context, int grpcStatus, string message)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (grpcStatus == Unauthenticated)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        return ErrorResponse.WriteAsync(
            context, (Grpc.Core.StatusCode)grpcStatus,
            grpcStatus == Unauthenticated ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden, message);
    }
}
