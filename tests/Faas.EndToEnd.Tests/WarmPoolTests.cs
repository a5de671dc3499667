using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.Testing;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// The warm pool through the whole mesh: modules loaded on workers before any call (minWarm), unloaded everywhere after
/// an idle timeout (scale to zero), and a function held to maxWarm workers. Has its own mesh with a 3 s idle timeout and
/// heartbeats every 500 ms, so scaling is seen within seconds.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WarmPoolTests : IAsyncLifetime
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(3);
    private FaasTestApp app = null!;
    private HttpClient rest = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 2;
            o.ConfigureAppHost = a =>
            {
                a.ServiceEnvironment["Scheduler__WarmPool__IdleTimeout"] = IdleTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
                a.ServiceEnvironment["Scheduler__WarmPool__Interval"] = "00:00:00.250";
                a.ServiceEnvironment["SinkManager__HeartbeatInterval"] = "00:00:00.5";
            };
        }).BuildAsync();
        await app.StartAsync();
        rest = app.CreateHttpClient("gateway", "http");
    }

    public async Task DisposeAsync()
    {
        rest?.Dispose();
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>The names of the workers whose heartbeats list the module as loaded, as the admin API shows them.</summary>
    private async Task<string[]> WarmOnAsync(string moduleSha256)
    {
        var json = await rest.GetFromJsonAsync<JsonElement>("/v1/sinks");
        var sinks = json.TryGetProperty("sinks", out var list) ? list.EnumerateArray().ToList() : [];
        return [.. sinks
            .Where(s => s.TryGetProperty("load", out var load) && load.TryGetProperty("warmModules", out var warm)
                && warm.EnumerateArray().Any(m => m.GetString() == moduleSha256))
            .Select(s => s.GetProperty("name").GetString()!)
            .Order(StringComparer.Ordinal)];
    }

    private static string ModuleOf(JsonElement deployed) => deployed.GetProperty("moduleSha256").GetString()!;

    [Fact]
    public async Task Min_warm_loads_the_module_on_that_many_workers_before_any_call_and_keeps_it_past_the_idle_timeout()
    {
        var module = ModuleOf(await MeshFixture.DeployAsync(rest, "prewarmed", "env", new { minWarm = 2 }));

        var warm = await MeshFixture.EventuallyAsync(() => WarmOnAsync(module), w => w.Length == 2);
        Assert.Equal(["worker-0", "worker-1"], warm);

        await Task.Delay(IdleTimeout * 2);
        Assert.Equal(["worker-0", "worker-1"], await WarmOnAsync(module));

        using var response = await rest.PostAsync("/v1/functions/prewarmed:invoke", new StringContent(""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // A new version without minWarm: the pool lets the module go once it is idle.
        var next = ModuleOf(await MeshFixture.DeployAsync(rest, "prewarmed", "echo", new { minWarm = 0 }));
        Assert.NotEqual(module, next);
        var after = await MeshFixture.EventuallyAsync(() => WarmOnAsync(module), w => w.Length == 0, IdleTimeout * 5);
        Assert.Empty(after);
    }

    [Fact]
    public async Task An_idle_function_scales_to_zero_and_its_next_call_loads_it_again()
    {
        var module = ModuleOf(await MeshFixture.DeployAsync(rest, "scales-to-zero", "echo"));

        using (var first = await rest.PostAsync("/v1/functions/scales-to-zero:invoke", new StringContent("one")))
        {
            Assert.Equal("one", await first.Content.ReadAsStringAsync());
        }

        var warm = await MeshFixture.EventuallyAsync(() => WarmOnAsync(module), w => w.Length == 1);
        Assert.Single(warm);

        var afterIdle = await MeshFixture.EventuallyAsync(() => WarmOnAsync(module), w => w.Length == 0, IdleTimeout * 5);
        Assert.Empty(afterIdle);

        using var second = await rest.PostAsync("/v1/functions/scales-to-zero:invoke", new StringContent("two"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("two", await second.Content.ReadAsStringAsync());
        Assert.Single(await MeshFixture.EventuallyAsync(() => WarmOnAsync(module), w => w.Length == 1));
    }

    [Fact]
    public async Task A_function_with_max_warm_1_runs_on_one_worker_however_many_calls_wait()
    {
        var module = ModuleOf(await MeshFixture.DeployAsync(rest, "one-worker", "busy", new { maxWarm = 1, maxConcurrency = 8, timeoutMs = 60_000 }));

        var calls = Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await rest.PostAsync("/v1/functions/one-worker:invoke", new StringContent(""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.GetValues("x-execution-id").Single();
        }).ToList();
        var ids = await Task.WhenAll(calls);

        var workers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var execution = await rest.GetFromJsonAsync<JsonElement>($"/v1/executions/{id}");
            workers.Add(execution.GetProperty("worker").GetString()!);
        }

        Assert.Single(workers);
        Assert.Single(await WarmOnAsync(module));
    }
}
