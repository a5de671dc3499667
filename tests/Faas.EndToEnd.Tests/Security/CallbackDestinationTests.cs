using System.Net;
using System.Text.Json;
using Faas.EndToEnd.Tests.Auth;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// A tenant's callback URL aimed inside the mesh: the mesh's own loopback address in every spelling, the
/// dashboard's restart endpoint, and a redirect from an allowed listener to an internal one. The only address
/// callbacks may reach here is the tests' own listener address (<see cref="CallbackListener.AllowedAddress"/>).
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Security")]
[Trait("Category", "Integration")]
public sealed class CallbackDestinationTests(MeshFixture mesh) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private TenantSession mallory = null!;

    public async Task InitializeAsync()
    {
        mallory = await TenantSession.RegisterAsync(mesh.App, "mallory");
        await MeshFixture.DeployAsync(mallory.Rest, "hook", "echo");
    }

    public Task DisposeAsync()
    {
        mallory.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/hook")]
    [InlineData("http://[::1]:{port}/hook")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/hook")]
    [InlineData("http://2130706433:{port}/hook")]
    [InlineData("http://127.1:{port}/hook")]
    [InlineData("http://localhost:{port}/hook")]
    public async Task Callback_to_the_meshs_loopback_is_refused_at_enqueue_and_nothing_is_sent(string template)
    {
        await using var inside = new CallbackListener(address: "127.0.0.1");
        var url = template.Replace("{port}", new Uri(inside.Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        using var response = await EnqueueAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Callbacks:AllowedDestinations", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(inside.Requests);
    }

    [Theory]
    [InlineData("scheduler", "http")]
    [InlineData("sinkmanager", "http")]
    [InlineData("gateway", "http")]
    public async Task Callback_to_a_service_of_the_mesh_is_refused_at_enqueue(string service, string endpoint)
    {
        var inside = new Uri(mesh.App.GetEndpoint(service, endpoint), "/health");

        using var response = await EnqueueAsync(inside.ToString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Callbacks:AllowedDestinations", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_from_an_allowed_destination_is_not_followed_and_fails_the_delivery_at_once()
    {
        await using var inside = new CallbackListener(address: "127.0.0.1");
        await using var outside = new CallbackListener(redirectTo: inside.Url);

        using var response = await EnqueueAsync(outside.Url);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = response.Headers.GetValues("x-execution-id").Single();

        var execution = await MeshFixture.EventuallyAsync(() => GetExecutionAsync(id), e => CallbackState(e) == "CALLBACK_FAILED", Within);
        var callback = execution.GetProperty("callback");
        Assert.Equal("CALLBACK_FAILED", callback.GetProperty("state").GetString());
        Assert.Equal(1, callback.GetProperty("attempts").GetInt32());
        Assert.Contains("redirects are not followed", callback.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Single(outside.Requests);
        Assert.Empty(inside.Requests);
    }

    private Task<HttpResponseMessage> EnqueueAsync(string callbackUrl) =>
        mallory.Rest.PostAsync($"/v1/functions/hook:enqueue?callbackUrl={Uri.EscapeDataString(callbackUrl)}", new StringContent("payload"));

    private async Task<JsonElement> GetExecutionAsync(string id)
    {
        using var response = await mallory.Rest.GetAsync($"/v1/executions/{id}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static string? CallbackState(JsonElement execution) =>
        execution.TryGetProperty("callback", out var callback) ? callback.GetProperty("state").GetString() : null;
}
