using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// The gateway's OpenAPI document, fetched from a running gateway without a credential, against what README.md tells
/// users: every REST route the README shows (a <c>curl</c> command to the gateway, or <c>`METHOD /v1/…`</c> in a table
/// or the text) is in the document with that method. A route added to the README that the gateway does not describe,
/// or a route dropped from the protos that the README still shows, fails here.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OpenApiTests(MeshFixture mesh)
{
    [Fact]
    public async Task The_document_lists_every_REST_route_of_the_README_with_its_method()
    {
        var document = await FetchDocumentAsync();
        var templates = Operations(document);

        var routes = ReadmeRoutes.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")));

        // Enough routes that a README whose format changed cannot pass by finding none.
        Assert.True(routes.Count >= 25, $"Only {routes.Count} REST routes found in README.md: {string.Join(", ", routes)}");
        Assert.Contains(routes, r => r is { Method: "POST", Path: "/v1/functions/echo:invoke" });
        Assert.Contains(routes, r => r is { Method: "POST", Path: "/v1/auth:register" });

        var missing = routes.Where(r => !templates.Any(t => t.Method == r.Method && ReadmeRoutes.Matches(t.Template, r.Path))).ToList();
        Assert.True(missing.Count == 0, "README routes not in /openapi/v1.json:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task The_route_matching_tells_a_route_that_is_not_there()
    {
        var templates = Operations(await FetchDocumentAsync());

        bool Documented(string method, string path) => templates.Any(t => t.Method == method && ReadmeRoutes.Matches(t.Template, path));

        Assert.True(Documented("POST", "/v1/functions/echo:invoke"));
        Assert.True(Documented("GET", "/v1/functions/echo/versions/3"));
        Assert.True(Documented("POST", "/fn/shortener/links"));
        Assert.False(Documented("GET", "/v1/functions/echo:invoke"), "wrong method");
        Assert.False(Documented("POST", "/v1/functions/echo:call"), "wrong custom verb");
        Assert.False(Documented("POST", "/v1/functions/echo"), "custom verb missing");
        Assert.False(Documented("GET", "/v1/functions/echo/versions/3/more"), "extra segment");
        Assert.False(Documented("GET", "/v1/nothing"), "unknown route");
    }

    /// <summary>GET /openapi/v1.json on the gateway's REST port, with no credential: OpenAPI 3 JSON.</summary>
    private async Task<JsonElement> FetchDocumentAsync()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using var response = await anonymous.GetAsync("/openapi/v1.json");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /openapi/v1.json: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        var document = JsonDocument.Parse(body).RootElement.Clone();
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        return document;
    }

    private static List<(string Method, string Template)> Operations(JsonElement document) =>
        [.. document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(op => op.Name is "get" or "put" or "post" or "delete" or "options" or "head" or "patch" or "trace")
                .Select(op => (op.Name.ToUpperInvariant(), path.Name)))];

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Faas.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Faas.sln) is not above the test's folder.");
    }
}

/// <summary>The REST routes a markdown text shows, and whether a documented path template covers one.</summary>
public static partial class ReadmeRoutes
{
    /// <summary>The API's own paths, not /health or /metrics.</summary>
    private static readonly string[] ApiPrefixes = ["/v1/", "/fn/", "/public/"];

    public sealed record Route(string Method, string Path)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    /// <summary>
    /// Every <c>curl</c> command to the gateway's REST port (continuation lines joined; the method from <c>-X</c>, or POST
    /// when it sends data, GET otherwise) and every <c>`METHOD /v1/…`</c> code span; queries dropped, an optional part in
    /// brackets (<c>versions[/{version}]</c>) taken both ways.
    /// </summary>
    public static IReadOnlyList<Route> Parse(string markdown)
    {
        var routes = new List<Route>();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].TrimStart().StartsWith("curl ", StringComparison.Ordinal))
            {
                continue;
            }

            var command = lines[i];
            while (command.TrimEnd().EndsWith('\\') && i + 1 < lines.Length)
            {
                command = command.TrimEnd()[..^1] + " " + lines[++i];
            }

            if (GatewayUrl().Match(command) is { Success: true } url)
            {
                var method = CurlMethod().Match(command) is { Success: true } m ? m.Groups[1].Value
                    : CurlData().IsMatch(command) ? "POST" : "GET";
                routes.Add(new Route(method.ToUpperInvariant(), url.Groups[1].Value));
            }
        }

        foreach (Match span in MethodSpan().Matches(markdown))
        {
            foreach (var path in Optional(span.Groups[2].Value.Split('?')[0]))
            {
                routes.Add(new Route(span.Groups[1].Value, path));
            }
        }

        return [.. routes.Where(r => ApiPrefixes.Any(p => r.Path.StartsWith(p, StringComparison.Ordinal))).Distinct()];
    }

    /// <summary>
    /// Segment by segment: a <c>{variable}</c> of the template stands for any one segment, every other part must be equal,
    /// and so must a custom method (<c>:invoke</c>) after the last segment.
    /// </summary>
    public static bool Matches(string template, string path)
    {
        var expected = template.Trim('/').Split('/');
        var actual = path.Trim('/').Split('/');
        return expected.Length == actual.Length && expected.Zip(actual).All(pair => SegmentMatches(pair.First, pair.Second));
    }

    private static bool SegmentMatches(string template, string value)
    {
        var (templateBase, templateVerb) = SplitVerb(template);
        var (valueBase, valueVerb) = SplitVerb(value);
        return templateVerb == valueVerb
            && (templateBase == valueBase || (templateBase.StartsWith('{') && templateBase.EndsWith('}') && valueBase.Length > 0));
    }

    /// <summary><c>{name}:invoke</c> is (<c>{name}</c>, <c>invoke</c>); the colon of a verb comes after any variable.</summary>
    private static (string Base, string? Verb) SplitVerb(string segment)
    {
        var colon = segment.LastIndexOf(':');
        return colon > segment.LastIndexOf('}') && colon >= 0 ? (segment[..colon], segment[(colon + 1)..]) : (segment, null);
    }

    private static IEnumerable<string> Optional(string path)
    {
        var open = path.IndexOf('[', StringComparison.Ordinal);
        var close = path.IndexOf(']', StringComparison.Ordinal);
        if (open < 0 || close < open)
        {
            return [path];
        }

        return Optional(path[..open] + path[(open + 1)..close] + path[(close + 1)..])
            .Concat(Optional(path[..open] + path[(close + 1)..]));
    }

    [GeneratedRegex(@"https?://(?:127\.0\.0\.1|localhost):8080(/[^\s'""?]*)")]
    private static partial Regex GatewayUrl();

    [GeneratedRegex(@"(?:^|\s)(?:-X|--request)\s*([A-Za-z]+)")]
    private static partial Regex CurlMethod();

    [GeneratedRegex(@"(?:^|\s)(?:-d|--data|--data-binary|--data-raw|--data-urlencode|-F|--form)(?:\s|=)")]
    private static partial Regex CurlData();

    [GeneratedRegex(@"`(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/[^`\s]*)`")]
    private static partial Regex MethodSpan();
}
