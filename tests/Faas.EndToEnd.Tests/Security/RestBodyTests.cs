using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Faas.EndToEnd.Tests.Auth;
using Google.Api;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// What REST clients send before the gateway reads it as a request: the charset, the size and the fields of the body. Each
/// problem has its own status and a short JSON error, never a 500 or exception text.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RestBodyTests(MeshFixture mesh)
{
    [Fact]
    public async Task Json_route_with_an_unknown_charset_is_415_without_exception_text()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using var login = new HttpRequestMessage(HttpMethod.Post, "/v1/auth:login")
        {
            Content = new StringContent("""{"email":"ada@example.com","password":"x"}"""),
        };
        login.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=bogus");
        using var response = await anonymous.SendAsync(login);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("charset", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
        ErrorBodies.AssertNoExceptionText(body);
    }

    [Fact]
    public async Task Every_rest_route_answers_an_unknown_charset_with_415()
    {
        var failures = new List<string>();
        foreach (var method in ApiSurface.PublicMethods)
        {
            var (verb, path, _) = ApiSurface.Route(method, ApiSurface.ProbeRequest(method));
            using var request = new HttpRequestMessage(verb, path) { Content = new StringContent("{}") };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=bogus");
            using var response = await mesh.Rest.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.UnsupportedMediaType || body.Contains("Exception", StringComparison.Ordinal))
            {
                failures.Add($"{verb} {path}: {(int)response.StatusCode} {ErrorBodies.Shorten(body)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Deploy_with_unknown_json_field_is_400_naming_the_field()
    {
        using var response = await mesh.Rest.PostAsync("/v1/functions", ErrorBodies.Json(
            $$$"""{"name":"typo-config","language":"wat","source":{{{JsonSerializer.Serialize(MeshFixture.Wat("echo"))}}},"config":{"timeoutMS":5,"memoryMB":1}}"""));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("timeoutMS", body);
        ErrorBodies.AssertNoExceptionText(body);
        using var get = await mesh.Rest.GetAsync("/v1/functions/typo-config");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Every_json_body_route_refuses_an_unknown_field_with_400_naming_it()
    {
        var failures = new List<string>();
        var routes = 0;
        foreach (var method in ApiSurface.PublicMethods)
        {
            var (verb, path, rule) = ApiSurface.Route(method, ApiSurface.ProbeRequest(method));
            var bodyType = rule.Body switch
            {
                "" => null,
                "*" => method.InputType,
                var field => method.InputType.FindFieldByName(field).MessageType,
            };
            if (bodyType is null || bodyType.FullName == HttpBody.Descriptor.FullName)
            {
                continue;
            }

            routes++;
            using var request = new HttpRequestMessage(verb, path) { Content = ErrorBodies.Json("""{"noSuchField":1}""") };
            using var response = await mesh.Rest.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest || !body.Contains("noSuchField", StringComparison.Ordinal))
            {
                failures.Add($"{verb} {path}: {(int)response.StatusCode} {ErrorBodies.Shorten(body)}");
            }
        }

        Assert.True(routes >= 9, $"only {routes} routes take a JSON body");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Body_over_the_request_size_limit_is_413_on_json_and_binary_routes()
    {
        var oversized = new byte[31_000_000];
        Array.Fill(oversized, (byte)' ');
        await MeshFixture.DeployAsync(mesh.Rest, "big-body", "echo");

        foreach (var path in new[] { "/v1/functions", "/v1/functions/big-body:invoke" })
        {
            // As curl sends a large body: the answer comes before the body is sent.
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(oversized) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.ExpectContinue = true;
            using var response = await mesh.Rest.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{path}: {(int)response.StatusCode} {ErrorBodies.Shorten(body)}");
            Assert.Contains("too large", body, StringComparison.OrdinalIgnoreCase);
            ErrorBodies.AssertNoExceptionText(body);
        }
    }
}
