using System.Net;
using Faas.Testing;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// <c>--redis</c> (and <c>ConnectionStrings:redis</c>): an existing server replaces the embedded Garnet. Here a real
/// redis-server on loopback; the services get its connection string and the queues run on it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ExistingServersTests
{
    [Fact]
    public async Task An_existing_redis_replaces_garnet_and_asynchronous_invocations_run_through_it()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var app = await FaasTestingBuilder.Create(o => { o.Workers = 1; o.RedisConnectionString = redis.ConnectionString; }).BuildAsync();
        await app.StartAsync();

        Assert.DoesNotContain("redis", app.ResourceNames);
        var scheduler = await app.GetProcessAsync("scheduler");
        Assert.Equal(redis.ConnectionString, scheduler.Environment["ConnectionStrings__redis"]);

        using var rest = app.CreateHttpClient("gateway");
        await MeshFixture.DeployAsync(rest, "through-redis", "echo");
        using var enqueued = await rest.PostAsync("/v1/functions/through-redis:enqueue", new StringContent("queued in redis"));
        Assert.Equal(HttpStatusCode.Accepted, enqueued.StatusCode);
        var id = enqueued.Headers.GetValues("x-execution-id").Single();
        var output = await MeshFixture.EventuallyAsync(
            async () =>
            {
                using var response = await rest.GetAsync($"/v1/executions/{id}/output");
                return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
            },
            text => text.Length > 0,
            TimeSpan.FromSeconds(60));
        Assert.Equal("queued in redis", output);
    }
}
