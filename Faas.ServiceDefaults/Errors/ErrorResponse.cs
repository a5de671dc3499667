using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Faas.ServiceDefaults.Errors;

/// <summary>
/// Writes an error that stops a request before it reaches a gRPC method (authentication, a rate limit, a body that cannot
/// be read) the way the caller reads errors: a gRPC status in a trailers-only response for gRPC, and for anything else the
/// JSON transcoding writes for a failed call (<c>google.rpc.Status</c>) with the HTTP status.
/// </summary>
public static class ErrorResponse
{
    /// <summary>How long to wait before trying again, in whole seconds: an HTTP header and gRPC metadata alike.</summary>
    public const string RetryAfterHeader = "retry-after";

    // The body is JSON read by programs and people, never embedded in HTML: no need to escape quotes and angle brackets.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Task WriteAsync(HttpContext context, StatusCode status, int httpStatus, string message, TimeSpan? retryAfter = null)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (retryAfter is { } wait)
        {
            response.Headers[RetryAfterHeader] = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (IsGrpc(context.Request))
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        response.StatusCode = httpStatus;
        response.ContentType = "application/json";
        return response.WriteAsync(JsonSerializer.Serialize(new { code = (int)status, message, details = Array.Empty<object>() }, Json));
    }

    /// <summary>The HTTP status of a gRPC status, as JSON transcoding maps it (google.rpc.Code).</summary>
    public static int HttpStatusOf(StatusCode status) => status switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => 499,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
}
