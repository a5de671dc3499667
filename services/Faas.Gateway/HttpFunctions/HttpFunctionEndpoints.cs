using System.Buffers;
using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Gateway.Invocation;
using Faas.ServiceDefaults.Errors;
using Grpc.Core;
using Microsoft.Extensions.Options;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Gateway.HttpFunctions;

/// <summary>
/// The routes of HTTP functions on the gateway's HTTP port: <c>/fn/{name}/{path...}</c> for the caller's own functions
/// (their key or token, as every call), and <c>/public/{tenant id}/{name}/{path...}</c> for functions made public, with
/// no credential. Any of GET, POST, PUT, PATCH, DELETE, HEAD and OPTIONS. Errors are the JSON every REST call answers
/// with, and every answer carries <c>x-execution-id</c> once an execution exists.
/// </summary>
public static class HttpFunctionEndpoints
{
    public const string Prefix = "/fn";
    public const string PublicPrefix = "/public";

    public static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    private const string OpenApiTag = "HttpFunctions";

    private const string OpenApiDescription =
        "The function gets the request as CGI variables and its body on stdin, and answers with CGI headers, a blank line "
        + "and the body; `path` is the rest of the URL, any number of segments, passed as PATH_INFO. An answer that is not "
        + "a valid CGI response is a 502; every answer carries `x-execution-id` once an execution exists.";

    public static IEndpointRouteBuilder MapHttpFunctions(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Prefix + "/{name}/{**path}", Methods, (HttpContext context, string name) => HandleAsync(context, name, tenant: null))
            .RequireAuthorization(GatewayAuthentication.UserPolicy)
            .WithDisplayName("HTTP function")
            .WithTags(OpenApiTag)
            .WithSummary("Calls one of the caller's HTTP functions (deployed with config.http).")
            .WithDescription(OpenApiDescription);
        app.MapMethods(PublicPrefix + "/{tenant}/{name}/{**path}", Methods, (HttpContext context, string tenant, string name) => HandleAsync(context, name, tenant))
            .AllowAnonymous()
            .WithDisplayName("public HTTP function")
            .WithTags(OpenApiTag)
            .WithSummary("Calls a public HTTP function (config.http.public) of the tenant with this id, without a credential.")
            .WithDescription(OpenApiDescription);
        return app;
    }

    private static async Task HandleAsync(HttpContext context, string name, string? tenant)
    {
        var services = context.RequestServices;
        var cancellationToken = context.RequestAborted;
        try
        {
            // The function first, then the tenant's quota: an anonymous caller naming random tenants must not make the
            // gateway keep a quota for each.
            var function = tenant is null
                ? await ResolveAsync(services.GetRequiredService<IRunnableVersions>(), Caller.From(context.User).TenantId, name, null, cancellationToken).ConfigureAwait(false)
                : await ResolvePublicAsync(context, services, tenant, name, cancellationToken).ConfigureAwait(false);
            await services.GetRequiredService<InvocationRateLimiter>().AcquireAsync(function.TenantId, cancellationToken).ConfigureAwait(false);

            var scriptName = tenant is null ? $"{Prefix}/{name}" : $"{PublicPrefix}/{tenant}/{name}";
            var rawPathInfo = RawPathInfo(context.Request, tenant is null ? 2 : 3);
            var limit = services.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxPayloadBytes;
            var body = await ReadBodyAsync(context.Request, limit, cancellationToken).ConfigureAwait(false);
            var call = new HttpCall(
                context.Request.Method, rawPathInfo + context.Request.QueryString.Value,
                CgiRequest.Variables(context.Request, scriptName, rawPathInfo, body.Length));

            var result = await services.GetRequiredService<Invoker>().InvokeHttpAsync(
                function, call, body, executionId => context.Response.Headers["x-execution-id"] = executionId, cancellationToken).ConfigureAwait(false);
            await WriteAsync(context, result.Http!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away: nobody to answer.
        }
        catch (GatewayException ex)
        {
            foreach (var (header, value) in ex.Headers)
            {
                context.Response.Headers[header] = value;
            }

            var http = ex is FunctionFailedException failed
                ? failed.StatusCode == StatusCode.DeadlineExceeded ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway
                : ex.HttpStatus ?? ErrorResponse.HttpStatusOf(ex.StatusCode);
            await ErrorResponse.WriteAsync(context, ex.StatusCode, http, ex.Message).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            // What the run's dispatch ended with when it is not one of the gateway's errors (a deadline, say).
            await ErrorResponse.WriteAsync(context, ex.StatusCode, ErrorResponse.HttpStatusOf(ex.StatusCode), ex.Status.Detail).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A public function for an anonymous caller, within the caller's address's allowance of misses
    /// (<see cref="PublicRouteGuard"/>); every miss is the same 404.
    /// </summary>
    private static async Task<FunctionVersion> ResolvePublicAsync(HttpContext context, IServiceProvider services, string tenant, string name, CancellationToken cancellationToken)
    {
        var guard = services.GetRequiredService<PublicRouteGuard>();
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!guard.MayLookUp(address))
        {
            var window = services.GetRequiredService<IOptions<HttpFunctionOptions>>().Value.PublicMissWindow;
            throw new CapacityExceededException(
                "Too many requests from this address named public functions that are not there; try again later.", (int)Math.Ceiling(window.TotalSeconds));
        }

        try
        {
            return Guid.TryParse(tenant, out var tenantId)
                ? await ResolveAsync(services.GetRequiredService<IRunnableVersions>(), tenantId, name, tenant, cancellationToken).ConfigureAwait(false)
                : throw NotPublic(tenant, name);
        }
        catch (FunctionNotFoundException)
        {
            guard.Missed(address);
            throw;
        }
    }

    /// <summary>
    /// The latest version, if it is an HTTP function the caller may reach. On the public route every refusal is the same
    /// 404: whether another tenant has such a function, or has one that is not public, is not told.
    /// </summary>
    private static async Task<FunctionVersion> ResolveAsync(IRunnableVersions versions, Guid tenantId, string name, string? tenant, CancellationToken cancellationToken)
    {
        FunctionVersion function;
        try
        {
            function = await versions.ResolveAsync(tenantId, name, 0, cancellationToken).ConfigureAwait(false);
        }
        catch (GatewayException) when (tenant is not null)
        {
            throw NotPublic(tenant, name);
        }

        if (tenant is not null)
        {
            return function.Config.Http is { Public: true } ? function : throw NotPublic(tenant, name);
        }

        return function.Config.Http is not null ? function
            : throw new FunctionNotRunnableException(
                $"Function '{name}' is not an HTTP function: call it with POST /v1/functions/{name}:invoke, or deploy it with config.http.");
    }

    private static FunctionNotFoundException NotPublic(string tenant, string name) => new($"{Echo.Short(tenant)}/{name}");

    /// <summary>
    /// The path after the route's fixed segments, as it came (percent-encoded): empty, or starting with '/'. The server
    /// has resolved dot segments in the path it routed by, so a raw path that still holds one is refused rather than
    /// given to the function as something other than what was routed.
    /// </summary>
    internal static string RawPathInfo(HttpRequest request, int fixedSegments)
    {
        var raw = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            raw = (request.PathBase + request.Path).ToUriComponent();
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? raw : raw[..query];
        var start = 0;
        for (var i = 0; i < fixedSegments; i++)
        {
            start = path.IndexOf('/', start + 1);
            if (start < 0)
            {
                return "";
            }
        }

        var rest = path[start..];
        foreach (var segment in rest.Split('/'))
        {
            if (Uri.UnescapeDataString(segment) is "." or "..")
            {
                throw new InvalidRequestException("The path holds a '.' or '..' segment; give the path without them.");
            }
        }

        return rest;
    }

    /// <summary>The whole body, refused with 413 past the limit (at once when its length says so).</summary>
    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            throw new PayloadTooLargeException(declared, limit);
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(request.ContentLength ?? 4096, limit) + 1);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw new PayloadTooLargeException(buffer.WrittenCount, limit);
            }
        }
    }

    /// <summary>The function's response: status, its headers, the body (none for HEAD, with the length it would have).</summary>
    private static async Task WriteAsync(HttpContext context, CgiResponse cgi, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = cgi.StatusCode;
        foreach (var (name, value) in cgi.Headers)
        {
            response.Headers.Append(name, value);
        }

        if (cgi.ContentType is not null)
        {
            response.ContentType = cgi.ContentType;
        }
        else if (!cgi.Body.IsEmpty)
        {
            response.ContentType = "application/octet-stream";
        }

        if (cgi.StatusCode is 204 or 304)
        {
            return;
        }

        response.ContentLength = cgi.Body.Length;
        if (!HttpMethods.IsHead(context.Request.Method) && !cgi.Body.IsEmpty)
        {
            await response.Body.WriteAsync(cgi.Body, cancellationToken).ConfigureAwait(false);
        }
    }
}
