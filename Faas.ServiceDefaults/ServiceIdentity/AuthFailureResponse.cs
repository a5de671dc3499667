using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>
/// Writes an authentication or authorization failure the way the caller reads errors: a gRPC status with the reason
/// (trailers-only response) for gRPC, the transcoding error JSON with HTTP 401/403 for anything else.
/// </summary>
public static class AuthFailureResponse
{
    public const int Unauthenticated = 16;
    public const int PermissionDenied = 7;

    // The body is JSON read by programs and people, never embedded in HTML: no need to escape quotes and angle brackets.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext context, int grpcStatus, string message)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (grpcStatus == Unauthenticated)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }

        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = grpcStatus.ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = grpcStatus == Unauthenticated ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        response.ContentType = "application/json";
        return response.WriteAsync(JsonSerializer.Serialize(new { code = grpcStatus, message, details = Array.Empty<object>() }, Json));
    }
}
