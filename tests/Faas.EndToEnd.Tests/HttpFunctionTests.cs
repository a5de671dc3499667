using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Faas.EndToEnd.Tests.Auth;
using Faas.EndToEnd.Tests.Security;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// HTTP functions through the whole mesh with a real HTTP client: any method and path in as CGI variables, status and
/// headers out, what the gateway refuses to pass on (502 with the execution id), limits, public and authenticated
/// access, and the execution record. The function is <c>Functions/httpdump.c</c>, built by the mesh's compiler.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HttpFunctionTests(MeshFixture mesh) : IAsyncLifetime
{
    private const string Dump = "httpdump";
    private TenantSession owner = null!;
    private TenantSession other = null!;

    public async Task InitializeAsync()
    {
        owner = await TenantSession.RegisterAsync(mesh.App, "http-owner");
        other = await TenantSession.RegisterAsync(mesh.App, "http-other");
        await DeployAsync(owner.Rest, Dump, new { http = new { } });
        await DeployAsync(owner.Rest, "public-dump", new { http = new { @public = true } });
        await DeployAsync(owner.Rest, "plain-dump", null);
    }

    public Task DisposeAsync()
    {
        owner.Dispose();
        other.Dispose();
        return Task.CompletedTask;
    }

    private static async Task DeployAsync(HttpClient rest, string name, object? config)
    {
        using var response = await rest.PostAsJsonAsync("/v1/functions?wait=true", new { name, language = "c", source = MeshFixture.Sample("httpdump.c"), config });
        Assert.True(response.IsSuccessStatusCode, $"deploy {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The variables and body a default answer of httpdump lists.</summary>
    private static (Dictionary<string, string> Variables, string Body) ReadDump(string text)
    {
        var split = text.IndexOf("--body--\n", StringComparison.Ordinal);
        Assert.True(split >= 0, text);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text[..split].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=');
            variables[line[..equals]] = line[(equals + 1)..];
        }

        return (variables, text[(split + "--body--\n".Length)..]);
    }

    private async Task<(HttpResponseMessage Response, Dictionary<string, string> Variables, string Body)> CallAsync(
        HttpMethod method, string target, string? body = null, Action<HttpRequestMessage>? configure = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, target);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        var response = await (client ?? owner.Rest).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {target}: {(int)response.StatusCode} {text}");
        var (variables, received) = ReadDump(text);
        return (response, variables, received);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    public async Task Every_method_reaches_the_function_with_its_request_as_cgi_variables(string method)
    {
        var body = method is "GET" or "OPTIONS" ? null : "{\"n\":1}";
        var (response, variables, received) = await CallAsync(new HttpMethod(method), $"/fn/{Dump}/items/42?sort=desc&x=%20y", body);

        Assert.Equal(method, variables["REQUEST_METHOD"]);
        Assert.Equal($"/fn/{Dump}", variables["SCRIPT_NAME"]);
        Assert.Equal("/items/42", variables["PATH_INFO"]);
        Assert.Equal("sort=desc&x=%20y", variables["QUERY_STRING"]);
        Assert.Equal("CGI/1.1", variables["GATEWAY_INTERFACE"]);
        Assert.Equal("127.0.0.1", variables["REMOTE_ADDR"]);
        Assert.Equal("127.0.0.1", variables["SERVER_NAME"]);
        Assert.Equal(mesh.App.GetEndpoint("gateway", "http").Port.ToString(System.Globalization.CultureInfo.InvariantCulture), variables["SERVER_PORT"]);
        Assert.Equal(Dump, variables["FAAS_FUNCTION"]);
        Assert.Equal(response.Headers.GetValues("x-execution-id").Single(), variables["FAAS_EXECUTION_ID"]);
        Assert.Equal(body ?? "", received);
        if (body is not null)
        {
            Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), variables["CONTENT_LENGTH"]);
            Assert.StartsWith("application/json", variables["CONTENT_TYPE"]);
        }

        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task Head_answers_the_headers_and_the_length_without_a_body()
    {
        using var response = await owner.Rest.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/fn/{Dump}/x"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Content.Headers.ContentLength > 0);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Single(response.Headers.GetValues("x-execution-id"));
    }

    [Theory]
    [InlineData("", "", "")]
    [InlineData("/", "/", "/")]
    [InlineData("/a%2Fb/c", "/a/b/c", "/a%2Fb/c")]
    [InlineData("/caf%C3%A9/%E2%9C%93", "/café/✓", "/caf%C3%A9/%E2%9C%93")]
    [InlineData("/with%20space/and+plus", "/with space/and+plus", "/with%20space/and+plus")]
    public async Task Paths_are_given_decoded_and_as_they_came(string path, string pathInfo, string raw)
    {
        var (_, variables, _) = await CallAsync(HttpMethod.Get, $"/fn/{Dump}{path}");

        Assert.Equal(pathInfo, variables["PATH_INFO"]);
        Assert.Equal(raw, variables["X_RAW_PATH_INFO"]);
    }

    [Fact]
    public async Task A_very_long_query_arrives_whole()
    {
        var query = string.Join('&', Enumerable.Range(0, 500).Select(i => $"k{i}=v{i}"));

        var (_, variables, _) = await CallAsync(HttpMethod.Get, $"/fn/{Dump}/q?{query}");

        Assert.Equal(query, variables["QUERY_STRING"]);
    }

    [Theory]
    [InlineData("/a/%2E%2E/b")]
    [InlineData("/a/%2e/b")]
    public async Task A_dot_segment_in_the_path_is_refused(string path)
    {
        // Written by hand: HttpClient's Uri would remove the segment before sending.
        var endpoint = mesh.App.GetEndpoint("gateway", "http");
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /fn/{Dump}{path} HTTP/1.1\r\nHost: {endpoint.Authority}\r\nAuthorization: Bearer {owner.Token}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);

        var statusLine = await reader.ReadLineAsync();

        Assert.StartsWith("HTTP/1.1 400", statusLine);
    }

    [Fact]
    public async Task Headers_arrive_as_http_variables_repeated_ones_joined_and_credentials_never()
    {
        var (_, variables, _) = await CallAsync(HttpMethod.Post, $"/fn/{Dump}/hook", "{}", request =>
        {
            request.Headers.Add("X-Hub-Signature-256", "sha256=abc");
            request.Headers.Add("X-Multi", ["one", "two"]);
            request.Headers.Accept.ParseAdd("application/json");
        });

        Assert.Equal("sha256=abc", variables["HTTP_X_HUB_SIGNATURE_256"]);
        Assert.Equal("one, two", variables["HTTP_X_MULTI"]);
        Assert.Equal("application/json", variables["HTTP_ACCEPT"]);
        Assert.False(variables.ContainsKey("HTTP_AUTHORIZATION"));
        Assert.DoesNotContain(variables.Values, v => v.Contains(owner.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_location_cookies_and_other_headers_come_back_as_the_function_wrote_them()
    {
        using var response = await owner.Rest.PostAsync($"/fn/{Dump}/items?mode=created", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/items/7", response.Headers.Location!.OriginalString);
        Assert.Equal("7", response.Headers.GetValues("X-Item").Single());
        Assert.Equal(["a=1; Path=/", "b=2; HttpOnly"], response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("{\"id\":7}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_location_alone_is_a_redirect_and_any_final_status_passes()
    {
        using var noRedirects = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = owner.Rest.BaseAddress };
        noRedirects.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", owner.Token);

        using var redirect = await noRedirects.GetAsync($"/fn/{Dump}/go?mode=redirect");
        using var teapot = await noRedirects.GetAsync($"/fn/{Dump}/tea?mode=teapot");

        Assert.Equal(HttpStatusCode.Found, redirect.StatusCode);
        Assert.Equal("/elsewhere?x=1", redirect.Headers.Location!.OriginalString);
        Assert.Equal((HttpStatusCode)418, teapot.StatusCode);
        Assert.Equal("short and stout", await teapot.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("nothing", "wrote nothing")]
    [InlineData("malformed", "not a header line")]
    [InlineData("hop", "'Connection' is the gateway's")]
    [InlineData("length", "disagrees")]
    public async Task Output_that_is_not_a_valid_cgi_response_is_a_502_naming_the_execution_and_is_recorded(string mode, string reason)
    {
        using var response = await owner.Rest.GetAsync($"/fn/{Dump}/x?mode={mode}");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var id = response.Headers.GetValues("x-execution-id").Single();
        Assert.Contains(id, body);
        Assert.Contains(reason, body);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString());
        var record = await RecordAsync(owner, id);
        Assert.Equal("FAILED", record.GetProperty("status").GetString());
        Assert.Equal(502, record.GetProperty("http").GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task A_function_that_fails_is_a_502_naming_the_execution()
    {
        using var response = await owner.Rest.GetAsync($"/fn/{Dump}/x?mode=fail");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("x-execution-id").Single(), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_execution_record_holds_the_method_the_path_and_the_status()
    {
        using var response = await owner.Rest.PostAsync($"/fn/{Dump}/items?mode=created&a=b", new StringContent("{}"));
        var id = response.Headers.GetValues("x-execution-id").Single();

        var record = await RecordAsync(owner, id);

        var http = record.GetProperty("http");
        Assert.Equal("POST", http.GetProperty("method").GetString());
        Assert.Equal("/items?mode=created&a=b", http.GetProperty("path").GetString());
        Assert.Equal(201, http.GetProperty("statusCode").GetInt32());
        Assert.Equal("SUCCEEDED", record.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_and_nothing_runs()
    {
        var limit = 6 * 1024 * 1024;
        using var response = await owner.Rest.PostAsync($"/fn/{Dump}/big", new ByteArrayContent(new byte[limit + 1]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.False(response.Headers.Contains("x-execution-id"));
    }

    [Fact]
    public async Task A_run_past_its_timeout_is_504_naming_the_execution()
    {
        await DeployAsync(owner.Rest, "dump-timeout", new { http = new { }, timeoutMs = 500 });

        using var response = await owner.Rest.GetAsync("/fn/dump-timeout/x?mode=sleep");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("x-execution-id").Single(), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_full_queue_is_429_with_retry_after_as_on_invoke()
    {
        await DeployAsync(owner.Rest, "dump-narrow", new { http = new { }, maxConcurrency = 1, queueCapacity = 0 });
        var holding = owner.Rest.GetAsync("/fn/dump-narrow/x?mode=sleep");
        try
        {
            // Until the first call holds the one slot, a second may still be served.
            var refused = await MeshFixture.EventuallyAsync(
                async () =>
                {
                    using var response = await owner.Rest.GetAsync("/fn/dump-narrow/y");
                    return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta);
                },
                r => r.StatusCode == HttpStatusCode.TooManyRequests,
                TimeSpan.FromSeconds(10));

            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.RetryAfter);
        }
        finally
        {
            using var held = await holding;
            Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        }
    }

    [Fact]
    public async Task An_authenticated_route_needs_a_credential()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");

        using var response = await anonymous.GetAsync($"/fn/{Dump}/x");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_public_function_answers_without_a_credential_and_names_its_tenant()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");

        var (_, variables, body) = await CallAsync(HttpMethod.Post, $"/public/{owner.TenantId}/public-dump/events?id=1", "{\"e\":1}", client: anonymous);

        Assert.Equal($"/public/{owner.TenantId}/public-dump", variables["SCRIPT_NAME"]);
        Assert.Equal("/events", variables["PATH_INFO"]);
        Assert.Equal("{\"e\":1}", body);
    }

    [Fact]
    public async Task Another_tenants_function_is_not_found_and_its_existence_is_not_told()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");

        // Their own route: the other tenant has no such function.
        using var viaOwnRoute = await other.Rest.GetAsync($"/fn/{Dump}/x");
        // The public route, for a function that is not public, one that is not an HTTP function, and one that does not
        // exist: the same answer.
        using var notPublic = await anonymous.GetAsync($"/public/{owner.TenantId}/{Dump}/x");
        using var plain = await anonymous.GetAsync($"/public/{owner.TenantId}/plain-dump/x");
        using var missing = await anonymous.GetAsync($"/public/{owner.TenantId}/no-such-function/x");
        using var badTenant = await anonymous.GetAsync("/public/not-a-tenant/public-dump/x");

        Assert.Equal(HttpStatusCode.NotFound, viaOwnRoute.StatusCode);
        foreach (var response in new[] { notPublic, plain, missing, badTenant })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.False(response.Headers.Contains("x-execution-id"));
        }

        var texts = await Task.WhenAll(new[] { notPublic, plain, missing }.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Equal(
            texts[2].Replace("no-such-function", "NAME", StringComparison.Ordinal),
            texts[0].Replace(Dump, "NAME", StringComparison.Ordinal));
        Assert.Equal(
            texts[2].Replace("no-such-function", "NAME", StringComparison.Ordinal),
            texts[1].Replace("plain-dump", "NAME", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plain_function_on_the_http_route_is_refused_with_what_to_do()
    {
        using var response = await owner.Rest.GetAsync("/fn/plain-dump/x");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("config.http", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_address_that_keeps_naming_public_functions_that_are_not_there_is_slowed_down()
    {
        using var prober = new HttpClient(LoopbackClients.From(LoopbackClients.NewSourceAddress())) { BaseAddress = mesh.Rest.BaseAddress };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await prober.GetAsync($"/public/{Guid.NewGuid()}/probe-{i}/x");
            statuses.Add(response.StatusCode);
        }

        // Thirty misses per minute per address (Gateway:HttpFunctions:PublicMissesPerAddress), then 429 with Retry-After.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.NotFound, 30), statuses.Take(30));
        Assert.All(statuses.Skip(30), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        using var refused = await prober.GetAsync($"/public/{owner.TenantId}/public-dump/x");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));

        // Others are not slowed by it.
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using var served = await anonymous.GetAsync($"/public/{owner.TenantId}/public-dump/x");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Deploy_refuses_a_variable_a_request_sets_and_an_http_function_in_job_mode()
    {
        using var reserved = await owner.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "reserved-env", language = "c", source = MeshFixture.Sample("httpdump.c"),
            config = new { http = new { }, env = new Dictionary<string, string> { ["PATH_INFO"] = "/x" } },
        });
        using var job = await owner.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "job-http", language = "c", source = MeshFixture.Sample("httpdump.c"), config = new { http = new { }, mode = "JOB" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        Assert.Contains("PATH_INFO", await reserved.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, job.StatusCode);
    }

    [Fact]
    public async Task Versions_show_whether_the_function_is_public()
    {
        var listed = await owner.Rest.GetFromJsonAsync<JsonElement>("/v1/functions");

        var functions = listed.GetProperty("functions").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.True(functions["public-dump"].GetProperty("latest").GetProperty("config").GetProperty("http").GetProperty("public").GetBoolean());
        Assert.False(functions[Dump].GetProperty("latest").GetProperty("config").GetProperty("http").TryGetProperty("public", out var p) && p.GetBoolean());
        Assert.False(functions["plain-dump"].GetProperty("latest").GetProperty("config").TryGetProperty("http", out _));
    }

    [Fact]
    public async Task The_url_shortener_sample_routes_by_method_and_path()
    {
        using (var deploy = await owner.Rest.PostAsJsonAsync("/v1/functions?wait=true", new
        {
            name = "shortener", language = "rust", source = MeshFixture.Sample("shortener.rs"), config = new { http = new { } },
        }))
        {
            Assert.True(deploy.IsSuccessStatusCode, await deploy.Content.ReadAsStringAsync());
        }

        using var noRedirects = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = owner.Rest.BaseAddress };
        noRedirects.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", owner.Token);

        using var created = await noRedirects.PostAsync("/fn/shortener/links", new StringContent("{\"url\":\"https://example.test/a/b?c=d\"}"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.OriginalString;
        Assert.StartsWith("/fn/shortener/s/", location);
        Assert.Equal(location, JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("short").GetString());

        using var followed = await noRedirects.GetAsync(location);
        Assert.Equal(HttpStatusCode.Found, followed.StatusCode);
        Assert.Equal("https://example.test/a/b?c=d", followed.Headers.Location!.OriginalString);

        using var wrongMethod = await noRedirects.DeleteAsync("/fn/shortener/links");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("POST", wrongMethod.Content.Headers.Allow.Single());

        using var unknown = await noRedirects.GetAsync("/fn/shortener/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var badLink = await noRedirects.PostAsync("/fn/shortener/links", new StringContent("{\"url\":\"ftp://x\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, badLink.StatusCode);
    }

    [Fact]
    public async Task The_webhook_sample_accepts_a_signed_event_from_anyone_and_refuses_a_bad_signature()
    {
        const string secret = "s3cret-for-the-test";
        using (var deploy = await owner.Rest.PostAsJsonAsync("/v1/functions?wait=true", new
        {
            name = "hook", language = "c", source = MeshFixture.Sample("webhook.c"),
            config = new { http = new { @public = true }, secrets = new Dictionary<string, string> { ["WEBHOOK_SECRET"] = secret } },
        }))
        {
            Assert.True(deploy.IsSuccessStatusCode, await deploy.Content.ReadAsStringAsync());
        }

        using var sender = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        var body = "{\"action\":\"opened\",\"number\":7}";
        var signature = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

        async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string? signatureHeader)
        {
            using var request = new HttpRequestMessage(method, $"/public/{owner.TenantId}/hook/github") { Content = new StringContent(body) };
            request.Headers.Add("X-GitHub-Event", "issues");
            if (signatureHeader is not null)
            {
                request.Headers.Add("X-Hub-Signature-256", signatureHeader);
            }

            using var response = await sender.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var accepted = await SendAsync(HttpMethod.Post, signature);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal($"{{\"accepted\":true,\"event\":\"issues\",\"bytes\":{body.Length}}}", accepted.Body.Trim());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Post, "sha256=" + new string('0', 64))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Post, null)).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await SendAsync(HttpMethod.Put, signature)).Status);
    }

    private static async Task<JsonElement> RecordAsync(TenantSession session, string id) =>
        await MeshFixture.EventuallyAsync(
            async () =>
            {
                using var response = await session.Rest.GetAsync($"/v1/executions/{id}");
                return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
            },
            e => e.ValueKind == JsonValueKind.Object && e.GetProperty("status").GetString() is not ("RUNNING" or "QUEUED"),
            TimeSpan.FromSeconds(15));
}
