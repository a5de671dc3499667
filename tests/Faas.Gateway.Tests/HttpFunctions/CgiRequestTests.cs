using System.Net;
using Faas.Gateway.Errors;
using Faas.Gateway.HttpFunctions;
using Microsoft.AspNetCore.Http;

namespace Faas.Gateway.Tests.HttpFunctions;

/// <summary>An HTTP request as the CGI variables an HTTP function is given, and what it is never given.</summary>
public sealed class CgiRequestTests
{
    private static HttpRequest Request(string method = "GET", string query = "", Action<HttpRequest>? configure = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Protocol = "HTTP/1.1";
        context.Request.Host = new HostString("127.0.0.1", 8080);
        context.Request.QueryString = new QueryString(query);
        context.Connection.RemoteIpAddress = IPAddress.Parse("127.0.0.7");
        context.Connection.RemotePort = 50123;
        context.Connection.LocalIpAddress = IPAddress.Loopback;
        context.Connection.LocalPort = 8080;
        configure?.Invoke(context.Request);
        return context.Request;
    }

    [Fact]
    public void The_request_line_and_the_connection_become_the_cgi_variables()
    {
        var variables = CgiRequest.Variables(Request("PATCH", "?a=1&b=%20x"), "/fn/shorten", "/links/abc", 0);

        Assert.Equal("CGI/1.1", variables["GATEWAY_INTERFACE"]);
        Assert.Equal("PATCH", variables["REQUEST_METHOD"]);
        Assert.Equal("/fn/shorten", variables["SCRIPT_NAME"]);
        Assert.Equal("/links/abc", variables["PATH_INFO"]);
        Assert.Equal("a=1&b=%20x", variables["QUERY_STRING"]);
        Assert.Equal("127.0.0.1", variables["SERVER_NAME"]);
        Assert.Equal("8080", variables["SERVER_PORT"]);
        Assert.Equal("HTTP/1.1", variables["SERVER_PROTOCOL"]);
        Assert.Equal("127.0.0.7", variables["REMOTE_ADDR"]);
        Assert.Equal("", variables["CONTENT_LENGTH"]);
        Assert.Equal("", variables["CONTENT_TYPE"]);
        Assert.Equal("http://127.0.0.1:8080/fn/shorten/links/abc?a=1&b=%20x", variables["X_FULL_URL"]);
    }

    [Fact]
    public void An_empty_path_and_query_are_empty_strings()
    {
        var variables = CgiRequest.Variables(Request(), "/fn/echo", "", 0);

        Assert.Equal("", variables["PATH_INFO"]);
        Assert.Equal("", variables["QUERY_STRING"]);
    }

    [Fact]
    public void Path_info_is_decoded_and_the_raw_path_is_kept_beside_it()
    {
        var variables = CgiRequest.Variables(Request(), "/fn/files", "/a%2Fb/caf%C3%A9/%E2%9C%93", 0);

        Assert.Equal("/a/b/café/✓", variables["PATH_INFO"]);
        Assert.Equal("/a%2Fb/caf%C3%A9/%E2%9C%93", variables["X_RAW_PATH_INFO"]);
    }

    [Fact]
    public void An_encoded_nul_in_the_path_is_refused()
    {
        Assert.Throws<InvalidRequestException>(() => CgiRequest.Variables(Request(), "/fn/files", "/a%00b", 0));
    }

    [Fact]
    public void The_body_length_and_type_are_given_as_content_variables_not_http_ones()
    {
        var variables = CgiRequest.Variables(Request("POST", configure: r =>
        {
            r.ContentType = "application/json";
            r.ContentLength = 11;
        }), "/fn/api", "/items", 11);

        Assert.Equal("11", variables["CONTENT_LENGTH"]);
        Assert.Equal("application/json", variables["CONTENT_TYPE"]);
        Assert.False(variables.ContainsKey("HTTP_CONTENT_TYPE"));
        Assert.False(variables.ContainsKey("HTTP_CONTENT_LENGTH"));
    }

    [Fact]
    public void Headers_become_http_variables_and_repeated_ones_are_joined()
    {
        var variables = CgiRequest.Variables(Request(configure: r =>
        {
            r.Headers["X-Hub-Signature-256"] = "sha256=abc";
            r.Headers["Accept"] = new(["text/html", "application/json"]);
            r.Headers["Cookie"] = new(["a=1", "b=2"]);
            r.Headers["User-Agent"] = "curl/8";
        }), "/fn/hook", "", 0);

        Assert.Equal("sha256=abc", variables["HTTP_X_HUB_SIGNATURE_256"]);
        Assert.Equal("text/html, application/json", variables["HTTP_ACCEPT"]);
        Assert.Equal("a=1; b=2", variables["HTTP_COOKIE"]);
        Assert.Equal("curl/8", variables["HTTP_USER_AGENT"]);
        Assert.Equal("127.0.0.1:8080", variables["HTTP_HOST"]);
    }

    [Fact]
    public void Credentials_and_hop_by_hop_headers_never_reach_the_function()
    {
        var variables = CgiRequest.Variables(Request(configure: r =>
        {
            r.Headers.Authorization = "Bearer faas_secret";
            r.Headers["Proxy-Authorization"] = "Basic eA==";
            r.Headers.Connection = "keep-alive";
            r.Headers["Transfer-Encoding"] = "chunked";
        }), "/fn/hook", "", 0);

        Assert.DoesNotContain(variables, v => v.Value.Contains("faas_secret") || v.Value.Contains("eA=="));
        Assert.False(variables.ContainsKey("HTTP_AUTHORIZATION"));
        Assert.False(variables.ContainsKey("HTTP_PROXY_AUTHORIZATION"));
        Assert.False(variables.ContainsKey("HTTP_CONNECTION"));
        Assert.False(variables.ContainsKey("HTTP_TRANSFER_ENCODING"));
    }

    [Fact]
    public void A_header_with_an_underscore_cannot_pose_as_another()
    {
        var variables = CgiRequest.Variables(Request(configure: r =>
        {
            r.Headers["X-Forwarded-For"] = "127.0.0.9";
            r.Headers["X_Forwarded_For"] = "127.0.0.66";
        }), "/fn/hook", "", 0);

        Assert.Equal("127.0.0.9", variables["HTTP_X_FORWARDED_FOR"]);
        Assert.DoesNotContain(variables, v => v.Value == "127.0.0.66");
    }
}
