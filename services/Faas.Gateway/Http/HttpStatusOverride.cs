namespace Faas.Gateway.Http;

/// <summary>
/// JSON transcoding picks the HTTP status from the gRPC status, and overwrites a status set inside the
/// handler. A handler that needs another code (202, 413) leaves it here; a response-starting callback
/// applies it.
/// </summary>
public static class HttpStatusOverride
{
    private static readonly object Key = new();

    public static void Set(HttpContext context, int status) => context.Items[Key] = status;

    public static IApplicationBuilder UseHttpStatusOverride(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var ctx = (HttpContext)state;
                if (ctx.Items.TryGetValue(Key, out var status) && status is int code)
                {
                    ctx.Response.StatusCode = code;
                }

                return Task.CompletedTask;
            }, context);
            return next(context);
        });

    /// <summary>True when the call came in as REST through transcoding rather than as gRPC.</summary>
    public static bool IsTranscoded(HttpContext context) =>
        context.Request.ContentType is not { } type || !type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);
}
