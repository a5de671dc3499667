using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.EndToEnd.Tests.Auth;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// What one tenant may make the gateway hold: every field and count of a request is bounded, a function's versions are
/// capped (and old ones can be deleted), and a page of a list stops at a byte budget.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RequestLimitTests(MeshFixture mesh)
{
    [Fact]
    public async Task Deploy_with_a_description_over_the_limit_is_400_naming_the_field()
    {
        using var response = await mesh.Rest.PostAsJsonAsync(
            "/v1/functions", new { name = "long-description", language = "wat", source = MeshFixture.Wat("echo"), description = new string('d', 1025) });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("description", body);
        Assert.True(body.Length < 500, body);
    }

    [Fact]
    public async Task Deploy_past_the_version_limit_is_409_until_an_old_version_is_deleted()
    {
        for (var i = 0; i < MeshFixture.MaxVersionsPerFunction; i++)
        {
            await MeshFixture.DeployAsync(mesh.Rest, "many-versions", "echo");
        }

        using (var refused = await mesh.Rest.PostAsJsonAsync("/v1/functions", new { name = "many-versions", language = "wat", source = MeshFixture.Wat("echo") }))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal(9, JsonDocument.Parse(body).RootElement.GetProperty("code").GetInt32()); // FAILED_PRECONDITION
            Assert.Contains("delete", body, StringComparison.OrdinalIgnoreCase);
        }

        using (var delete = await mesh.Rest.DeleteAsync("/v1/functions/many-versions/versions/1"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }

        using (var gone = await mesh.Rest.GetAsync("/v1/functions/many-versions/versions/1"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        var next = await MeshFixture.DeployAsync(mesh.Rest, "many-versions", "echo");
        Assert.Equal(MeshFixture.MaxVersionsPerFunction + 1, next.GetProperty("version").GetInt32());
        using var invoke = await mesh.InvokeAsync("many-versions", "still runs");
        Assert.Equal("still runs", await invoke.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deleting_the_latest_or_the_serving_version_is_409_and_an_unknown_one_404()
    {
        await MeshFixture.DeployAsync(mesh.Rest, "keep-serving", "echo");
        await MeshFixture.DeployAsync(mesh.Rest, "keep-serving", "echo");

        using var latest = await mesh.Rest.DeleteAsync("/v1/functions/keep-serving/versions/2");
        Assert.Equal(HttpStatusCode.Conflict, latest.StatusCode);
        using var unknown = await mesh.Rest.DeleteAsync("/v1/functions/keep-serving/versions/7");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var older = await mesh.Rest.DeleteAsync("/v1/functions/keep-serving/versions/1");
        Assert.Equal(HttpStatusCode.OK, older.StatusCode);
    }

    [Fact]
    public async Task Listing_versions_stops_at_the_page_byte_budget_and_the_token_continues()
    {
        // Each version carries about 30 KB of environment, so the page budget holds a few of them, not all 12.
        var env = new Dictionary<string, string> { ["PADDING"] = new string('p', 30_000) };
        for (var i = 0; i < 12; i++)
        {
            await MeshFixture.DeployAsync(mesh.Rest, "wide-versions", "echo", new { env });
        }

        var functions = new Functions.FunctionsClient(mesh.Channel);
        var first = await functions.ListFunctionVersionsAsync(new ListFunctionVersionsRequest { Name = "wide-versions", PageSize = 100 });
        Assert.InRange(first.Versions.Count, 1, 11);
        Assert.NotEmpty(first.NextPageToken);

        var versions = first.Versions.Select(v => v.Version).ToList();
        var token = first.NextPageToken;
        while (token.Length > 0)
        {
            var page = await functions.ListFunctionVersionsAsync(new ListFunctionVersionsRequest { Name = "wide-versions", PageSize = 100, PageToken = token });
            versions.AddRange(page.Versions.Select(v => v.Version));
            token = page.NextPageToken;
        }

        Assert.Equal(Enumerable.Range(1, 12).Reverse().Select(v => (uint)v), versions);
    }

    [Fact]
    public async Task Oversized_identifiers_and_credentials_are_refused_with_short_messages()
    {
        var executions = new Executions.ExecutionsClient(mesh.Channel);
        var functions = new Functions.FunctionsClient(mesh.Channel);
        var auth = new Protos.V1.Auth.AuthClient(mesh.Channel);
        var calls = new (string Label, Func<Task> Call)[]
        {
            ("execution id", () => executions.GetExecutionAsync(new GetExecutionRequest { Id = new string('x', 1_000_000) }).ResponseAsync),
            ("page token", () => functions.ListFunctionsAsync(new ListFunctionsRequest { PageToken = new string('A', 10_000) }).ResponseAsync),
            ("invoked name", () => new Invocations.InvocationsClient(mesh.Channel).InvokeAsync(new InvokeRequest { Name = new string('n', 100_000) }).ResponseAsync),
            ("function filter", () => executions.ListExecutionsAsync(new ListExecutionsRequest { Function = new string('f', 100_000) }).ResponseAsync),
            ("login password", () => auth.LoginAsync(new LoginRequest { Email = "ada@example.com", Password = new string('p', 2_000_000) }).ResponseAsync),
            ("login e-mail", () => auth.LoginAsync(new LoginRequest { Email = new string('e', 100_000) + "@example.com", Password = "x" }).ResponseAsync),
            ("api key name", () => auth.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "nul\0name" }).ResponseAsync),
            ("entry file", () => functions.DeployFunctionAsync(new DeployFunctionRequest
            {
                Name = "long-entry", Language = "c", Source = "int main(){return 0;}", EntryFile = new string('e', 100_000) + ".c",
            }).ResponseAsync),
            ("javascript source", () => functions.DeployFunctionAsync(new DeployFunctionRequest
            {
                Name = "nul-script", Language = "javascript", Source = "export default () => '\0';",
            }).ResponseAsync),
        };

        foreach (var (label, call) in calls)
        {
            var error = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{label}: {error.StatusCode} {ErrorBodies.Shorten(error.Status.Detail)}");
            Assert.True(error.Status.Detail.Length < 500, $"{label}: {ErrorBodies.Shorten(error.Status.Detail)}");
            ErrorBodies.AssertNoExceptionText(error.Status.Detail);
        }
    }

    [Fact]
    public async Task Redrive_with_more_ids_than_one_batch_is_400()
    {
        var request = new RedriveDeadLettersRequest { Name = "echo-redrive" };
        request.ExecutionIds.Add(Enumerable.Range(0, 10_001).Select(_ => Guid.NewGuid().ToString()));

        var error = await Assert.ThrowsAsync<RpcException>(() => new Invocations.InvocationsClient(mesh.Channel).RedriveDeadLettersAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("10000", error.Status.Detail);
    }

    [Fact]
    public async Task Api_keys_per_user_are_capped_and_revoking_one_makes_room()
    {
        using var session = await TenantSession.RegisterAsync(mesh.App, "keys");
        var auth = new Protos.V1.Auth.AuthClient(session.Channel);
        var first = "";
        for (var i = 0; i < 100; i++)
        {
            var created = await auth.CreateApiKeyAsync(new CreateApiKeyRequest { Name = $"key-{i}" });
            first = first.Length == 0 ? created.Key.Id : first;
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => auth.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "one-too-many" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("revoke", refused.Status.Detail, StringComparison.OrdinalIgnoreCase);

        await auth.RevokeApiKeyAsync(new RevokeApiKeyRequest { Id = first });
        await auth.CreateApiKeyAsync(new CreateApiKeyRequest { Name = "after-a-revoke" });
        var listed = await auth.ListApiKeysAsync(new ListApiKeysRequest());
        Assert.InRange(listed.Keys.Count, 100, 100);
    }
}
