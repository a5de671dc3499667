using System.Globalization;
using System.Net;
using Faas.Gateway.Errors;
using Microsoft.Extensions.Primitives;

namespace Faas.Gateway.HttpFunctions;

/// <summary>
/// An HTTP request as an HTTP function sees it: the CGI meta-variables (RFC 3875, section 4.1, as WAGI gives them to
/// WASI modules) in its environment, the body on stdin. Credentials never reach the function: <c>Authorization</c>,
/// <c>Proxy-Authorization</c> and the gateway's own headers are left out. A header whose name has characters other
/// than letters, digits and '-' is left out too: <c>X_Forwarded_For</c> would otherwise pose as <c>X-Forwarded-For</c>
/// (both are <c>HTTP_X_FORWARDED_FOR</c>).
/// </summary>
public static class CgiRequest
{
    /// <summary>Request headers the function never sees.</summary>
    private static readonly HashSet<string> Withheld = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Content-Type", "Content-Length", "Connection", "Keep-Alive",
        "Transfer-Encoding", "TE", "Upgrade", "Proxy-Connection", "Trailer",
    };

    /// <summary>The fixed variables every request sets (the headers' <c>HTTP_*</c> ones come beside them).</summary>
    private static readonly HashSet<string> Fixed = new(StringComparer.OrdinalIgnoreCase)
    {
        "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "SERVER_PROTOCOL", "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING",
        "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_LENGTH", "CONTENT_TYPE", "X_RAW_PATH_INFO",
        "X_FULL_URL", "X_MATCHED_ROUTE",
    };

    /// <summary>Whether a request sets the variable: an HTTP function's own variables and secrets may not be named so.</summary>
    public static bool IsRequestVariable(string name) => Fixed.Contains(name) || name.StartsWith("HTTP_", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The variables of one request. <paramref name="scriptName"/> is the route's fixed part (<c>/fn/echo</c>),
    /// <paramref name="rawPathInfo"/> the rest of the path as it came (still percent-encoded, empty or starting with '/').
    /// </summary>
    public static Dictionary<string, string> Variables(HttpRequest request, string scriptName, string rawPathInfo, long bodyLength)
    {
        var pathInfo = Uri.UnescapeDataString(rawPathInfo);
        if (pathInfo.Contains('\0'))
        {
            throw new InvalidRequestException("The path holds an encoded NUL (%00), which no function can be given.");
        }

        var connection = request.HttpContext.Connection;
        var host = request.Host;
        var serverPort = host.Port ?? connection.LocalPort;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GATEWAY_INTERFACE"] = "CGI/1.1",
            ["SERVER_SOFTWARE"] = "Faas",
            ["SERVER_PROTOCOL"] = request.Protocol,
            ["REQUEST_METHOD"] = request.Method,
            ["SCRIPT_NAME"] = scriptName,
            ["PATH_INFO"] = pathInfo,
            ["QUERY_STRING"] = request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            ["SERVER_NAME"] = host.HasValue ? host.Host : (connection.LocalIpAddress ?? IPAddress.Loopback).ToString(),
            ["SERVER_PORT"] = serverPort.ToString(CultureInfo.InvariantCulture),
            ["REMOTE_ADDR"] = (connection.RemoteIpAddress ?? IPAddress.None).ToString(),
            ["REMOTE_PORT"] = connection.RemotePort.ToString(CultureInfo.InvariantCulture),
            ["CONTENT_LENGTH"] = bodyLength > 0 || request.ContentLength is not null ? bodyLength.ToString(CultureInfo.InvariantCulture) : "",
            ["CONTENT_TYPE"] = request.ContentType ?? "",
            // WAGI's additions: the path as it came, and the whole URL.
            ["X_RAW_PATH_INFO"] = rawPathInfo,
            ["X_FULL_URL"] = $"{request.Scheme}://{(host.HasValue ? host.Value : HostOf(connection))}{scriptName}{rawPathInfo}{request.QueryString}",
            ["X_MATCHED_ROUTE"] = scriptName + "/...",
        };

        foreach (var (name, values) in request.Headers)
        {
            if (Withheld.Contains(name) || name.StartsWith(':') || !IsPlainName(name))
            {
                continue;
            }

            var key = "HTTP_" + name.ToUpperInvariant().Replace('-', '_');
            variables[key] = Join(name, values);
        }

        return variables;
    }

    private static string HostOf(ConnectionInfo connection) =>
        $"{connection.LocalIpAddress ?? IPAddress.Loopback}:{connection.LocalPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Repeated headers as one value with the same meaning (RFC 3875, 4.1.18): cookies with "; ", the rest with ", ".</summary>
    private static string Join(string name, StringValues values) =>
        values.Count == 1 ? values[0] ?? "" : string.Join(name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ", values.ToArray());

    private static bool IsPlainName(string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }
        }

        return name.Length > 0;
    }
}
