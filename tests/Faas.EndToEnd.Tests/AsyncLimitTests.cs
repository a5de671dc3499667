using System.Net;
using System.Text.Json;
using Faas.Testing;

namespace Faas.EndToEnd.Tests;

/// <summary>The per-function backlog limit of asynchronous invocations, on a mesh of its own with a tiny limit.</summary>
[Trait("Category", "Integration")]
public sealed class AsyncLimitTests : IAsyncLifetime
{
    private FaasTestApp app = null!;
    private HttpClient rest = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 1;
            o.ConfigureAppHost = a => a.ServiceEnvironment["Gateway__MaxAsyncBacklog"] = "3";
        }).BuildAsync();
        await app.StartAsync();
        rest = app.CreateHttpClient("gateway", "http");
    }

    public async Task DisposeAsync()
    {
        rest.Dispose();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task A_function_at_its_backlog_limit_refuses_more_with_429_and_records_nothing_for_them()
    {
        await MeshFixture.DeployAsync(rest, "backlog-spin", "spin", new { timeoutMs = 20_000, maxConcurrency = 1, maxRetries = 0 });
        await MeshFixture.DeployAsync(rest, "backlog-other", "echo");

        var accepted = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await rest.PostAsync("/v1/functions/backlog-spin:enqueue", new StringContent(""));
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
            accepted.Add(JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("executionId").GetString()!);
        }

        using var refused = await rest.PostAsync("/v1/functions/backlog-spin:enqueue", new StringContent(""));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, "a 429 says when to come back");
        Assert.Contains("backlog-spin", await refused.Content.ReadAsStringAsync());

        // The limit is per function: another function still takes work.
        using var other = await rest.PostAsync("/v1/functions/backlog-other:enqueue", new StringContent("x"));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);

        // Records are committed off the enqueue's path; wait for the three, and make sure no fourth appears.
        var ids = await MeshFixture.EventuallyAsync(ListAsync, found => found.Length >= 3);
        Assert.Equal(accepted.Order(), ids.Order());
        await Task.Delay(500);
        Assert.Equal(accepted.Order(), (await ListAsync()).Order());
    }

    private async Task<string[]> ListAsync()
    {
        using var list = await rest.GetAsync("/v1/executions?function=backlog-spin");
        return JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("executions")
            .EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToArray();
    }
}
