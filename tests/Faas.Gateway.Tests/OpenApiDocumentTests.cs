using System.Net;
using System.Text.Json;
using Faas.Gateway.Auth;
using Faas.Gateway.Extensions;
using Faas.Gateway.Http;
using Google.Api;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Extensions;
using Microsoft.OpenApi.Models;
using Microsoft.OpenApi.Readers;
using Microsoft.OpenApi.Validations;

namespace Faas.Gateway.Tests;

/// <summary>
/// The OpenAPI document of the gateway's REST API, generated from the endpoints the gateway maps (in memory, no
/// dependency behind them): every <c>google.api.http</c> rule of a public service is an operation with its verb, the
/// protos' comments are its summary, the bearer scheme is on every operation but registration, login and public HTTP
/// functions, and the document is valid OpenAPI 3 and served without a credential.
/// </summary>
public sealed class OpenApiDocumentTests
{
    private static readonly ServiceDescriptor[] PublicServices =
    [
        Protos.V1.Functions.Descriptor,
        Protos.V1.Invocations.Descriptor,
        Protos.V1.Executions.Descriptor,
        Protos.V1.Logs.Descriptor,
        Protos.V1.Auth.Descriptor,
        Protos.V1.Admin.Descriptor,
        Protos.V1.SinkAdmin.Descriptor,
    ];

    private static readonly string[] OpenMethods = ["faas.v1.Auth.Register", "faas.v1.Auth.Login"];

    [Fact]
    public async Task Every_REST_route_of_the_protos_is_an_operation_with_its_verb_and_credential()
    {
        var paths = (await FetchAsync()).GetProperty("paths");

        var rules = PublicServices.SelectMany(s => s.Methods)
            .Select(m => (Method: m, Rule: m.GetOptions()?.GetExtension(AnnotationsExtensions.Http)))
            .Where(m => m.Rule is not null)
            .ToList();
        Assert.NotEmpty(rules);
        foreach (var (method, rule) in rules)
        {
            var (verb, template) = Route(rule!);
            Assert.True(paths.TryGetProperty(template, out var path), $"{method.FullName}: {template} is not in the document.");
            Assert.True(path.TryGetProperty(verb, out var operation), $"{method.FullName}: {template} has no {verb} operation.");
            var secured = operation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0;
            Assert.True(secured != OpenMethods.Contains(method.FullName), $"{method.FullName}: security {(secured ? "required" : "missing")}.");
        }
    }

    [Fact]
    public async Task The_document_is_valid_OpenAPI_3()
    {
        var (body, _) = await FetchRawAsync();

        var document = new OpenApiStringReader().Read(body, out var diagnostic);

        Assert.Empty(diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}"));
        Assert.Equal(OpenApiSpecVersion.OpenApi3_0, diagnostic.SpecificationVersion);
        Assert.Empty(document.Validate(ValidationRuleSet.GetDefaultRuleSet()).Select(e => $"{e.Pointer}: {e.Message}"));
        // Every variable of every path is a parameter of each of its operations.
        foreach (var (template, item) in document.Paths)
        {
            var variables = System.Text.RegularExpressions.Regex.Matches(template, @"\{([^}]+)\}").Select(m => m.Groups[1].Value).ToList();
            foreach (var (verb, operation) in item.Operations)
            {
                var parameters = operation.Parameters.Concat(item.Parameters).Where(p => p.In == ParameterLocation.Path).Select(p => p.Name);
                Assert.True(variables.Order().SequenceEqual(parameters.Order()), $"{verb} {template}: parameters {string.Join(", ", parameters)}");
            }
        }
    }

    [Fact]
    public async Task Operations_carry_the_protos_comments_and_their_credentials()
    {
        var document = await FetchAsync();

        Assert.Equal("http", document.GetProperty("components").GetProperty("securitySchemes").GetProperty(GatewayOpenApi.BearerScheme).GetProperty("type").GetString());
        var paths = document.GetProperty("paths");

        var deploy = paths.GetProperty("/v1/functions").GetProperty("post");
        Assert.StartsWith("Deploys a function", deploy.GetProperty("summary").GetString());
        Assert.DoesNotContain("\r", deploy.GetProperty("summary").GetString());
        Assert.Equal(GatewayOpenApi.BearerScheme, deploy.GetProperty("security")[0].EnumerateObject().Single().Name);
        Assert.Contains(document.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() == "Functions"
            && t.GetProperty("description").GetString()!.StartsWith("Function lifecycle", StringComparison.Ordinal));

        Assert.Contains("admin role", paths.GetProperty("/v1/users").GetProperty("get").GetProperty("description").GetString());

        // A raw payload in and the function's output out, not JSON.
        var invoke = paths.GetProperty("/v1/functions/{name}:invoke").GetProperty("post");
        Assert.Equal("binary", invoke.GetProperty("requestBody").GetProperty("content").GetProperty("*/*").GetProperty("schema").GetProperty("format").GetString());
        Assert.Equal("binary", invoke.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("*/*").GetProperty("schema").GetProperty("format").GetString());

        // HTTP functions, minimal-API endpoints beside the transcoded methods: every method, the public ones open.
        foreach (var verb in new[] { "get", "post", "put", "patch", "delete", "head", "options" })
        {
            var call = paths.GetProperty("/fn/{name}/{path}").GetProperty(verb);
            Assert.Equal("HttpFunctions", call.GetProperty("tags")[0].GetString());
            Assert.True(call.TryGetProperty("security", out _), $"{verb} /fn needs a credential.");
            Assert.False(paths.GetProperty("/public/{tenant}/{name}/{path}").GetProperty(verb).TryGetProperty("security", out _), $"{verb} /public is open.");
        }
    }

    [Fact]
    public async Task The_document_needs_no_credential()
    {
        // The gateway's endpoints with authentication and authorization as in production: the document stays open.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc().AddJsonTranscoding();
        builder.Services.AddGatewayOpenApi();
        builder.Services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, NobodyHandler>("Test", _ => { });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(GatewayAuthentication.UserPolicy, p => p.RequireAuthenticatedUser())
            .AddPolicy(GatewayAuthentication.AdminPolicy, p => p.RequireAuthenticatedUser());
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGatewayApi();
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var document = await client.GetAsync(GatewayOpenApi.DocumentPath);
        using var route = await client.GetAsync("/v1/functions");

        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, route.StatusCode);
        await app.StopAsync();
    }

    private static async Task<JsonElement> FetchAsync() => JsonDocument.Parse((await FetchRawAsync()).Body).RootElement.Clone();

    private static async Task<(string Body, string? ContentType)> FetchRawAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc().AddJsonTranscoding();
        builder.Services.AddGatewayOpenApi();
        builder.Services.AddAuthorization();
        await using var app = builder.Build();
        app.MapGatewayApi();
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var response = await client.GetAsync(GatewayOpenApi.DocumentPath);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        var contentType = response.Content.Headers.ContentType?.MediaType;
        Assert.Equal("application/json", contentType);
        await app.StopAsync();
        return (body, contentType);
    }

    /// <summary>Authenticates no one: every request is anonymous.</summary>
    private sealed class NobodyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }

    private static (string Verb, string Template) Route(HttpRule rule)
    {
        var (verb, template) = rule.PatternCase switch
        {
            HttpRule.PatternOneofCase.Get => ("get", rule.Get),
            HttpRule.PatternOneofCase.Post => ("post", rule.Post),
            HttpRule.PatternOneofCase.Put => ("put", rule.Put),
            HttpRule.PatternOneofCase.Delete => ("delete", rule.Delete),
            HttpRule.PatternOneofCase.Patch => ("patch", rule.Patch),
            _ => throw new InvalidOperationException($"Unsupported rule {rule}"),
        };

        // Path variables are named by their field's JSON name in the document ({execution_id} is {executionId}).
        var path = System.Text.RegularExpressions.Regex.Replace(template, @"\{([a-z0-9_.]+)(=[^}]*)?\}", m => "{" + JsonName(m.Groups[1].Value) + "}");
        return (verb, path);
    }

    private static string JsonName(string field)
    {
        var parts = field.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
