using System.Text.Json;

namespace Faas.Gateway.Auth;

/// <summary>
/// Writes an authentication or authorization failure the way the caller reads errors: a gRPC status with a useful
/// message (trailers-only response) for gRPC, the transcoding error JSON with HTTP 401/403 for REST.
/// </summary>
public static class AuthResponses
{
    public const int Unauthenticated = 16;
    public const int PermissionDenied = 7;

    // The body is JSON read by programs and people, never embedded in HTML: no need to escape quotes and angle brackets.
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
            response.Headers["grpc-status"] = grpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = grpcStatus == Unauthenticated ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        response.ContentType = "application/json";
        return response.WriteAsync(JsonSerializer.Serialize(new { code = grpcStatus, message, details = Array.Empty<object>() }, Json));
    }

    /// <summary>Why authentication failed, in words fit for the caller.</summary>
    public static string Describe(Exception? failure, bool tokenPresented) => failure switch
    {
        null when !tokenPresented => "Authentication required: send 'Authorization: Bearer <token or API key>'.",
        null => "The bearer token is not valid.",
        Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException => "The token has expired; log in again.",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidSignatureException or Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException =>
            "The token's signature is not valid.",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException or Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException =>
            "The token was not issued for this API.",
        Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException or ArgumentException => "The bearer token is malformed.",
        { Message: var message } when failure.GetType() == typeof(Exception) || failure is Microsoft.AspNetCore.Authentication.AuthenticationFailureException => message,
        _ => "The bearer token is not valid.",
    };
}
