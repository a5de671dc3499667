using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Faas.Testing;

namespace Faas.EndToEnd.Tests;

/// <summary>Kills workers, so it has a mesh of its own.</summary>
[Trait("Category", "Integration")]
public sealed class WorkerFailureTests : IAsyncLifetime
{
    private FaasTestApp app = null!;
    private HttpClient rest = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o => o.Workers = 2).BuildAsync();
        await app.StartAsync();
        rest = app.CreateHttpClient("gateway", "http");
    }

    public async Task DisposeAsync()
    {
        rest.Dispose();
        await app.DisposeAsync();
    }

    private Task DeployAsync(string name, string sample, object? config = null) => MeshFixture.DeployAsync(rest, name, sample, config);

    [Fact]
    public async Task A_worker_dying_mid_call_fails_that_call_clearly_and_later_calls_go_to_the_survivor()
    {
        await DeployAsync("long-spin", "spin", new { timeoutMs = 20_000 });
        await DeployAsync("survivor-echo", "echo");

        // Occupy both workers' attention long enough to find which one runs the spin.
        var spinning = rest.PostAsync("/v1/functions/long-spin:invoke", new StringContent(""));
        var victim = await MeshFixture.EventuallyAsync(
            async () => await BusyWorkerAsync(),
            name => name is not null,
            TimeSpan.FromSeconds(10));
        Assert.NotNull(victim);
        var pid = app.GetResource(victim).Pid!.Value;

        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
        }

        using var failed = await spinning.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var message = await failed.Content.ReadAsStringAsync();
        Assert.Contains(victim, message);

        // While the killed worker is down (and being restarted), nothing is placed on it: every call succeeds.
        for (var i = 0; i < 20; i++)
        {
            using var echo = await rest.PostAsync("/v1/functions/survivor-echo:invoke", new StringContent($"call {i}"));
            Assert.True(echo.StatusCode == HttpStatusCode.OK, $"call {i}: {(int)echo.StatusCode} {await echo.Content.ReadAsStringAsync()}");
            Assert.Equal($"call {i}", await echo.Content.ReadAsStringAsync());
        }

        await app.WaitForResourceAsync(victim, r => r.Restarts >= 1 && r.IsHealthy);
    }

    [Fact]
    public async Task An_idempotent_function_whose_worker_dies_mid_call_runs_again_on_the_other_and_the_caller_gets_its_result()
    {
        // doze runs 5 s: long enough to be seen in flight on a loaded machine (a 1 s run could end between two looks).
        await DeployAsync("idempotent-doze", "doze", new { timeoutMs = 30_000, idempotent = true });

        var call = rest.PostAsync("/v1/functions/idempotent-doze:invoke", new StringContent(""));
        var victim = await MeshFixture.EventuallyAsync(
            async () => await BusyWorkerAsync(),
            name => name is not null,
            TimeSpan.FromSeconds(10));
        Assert.NotNull(victim);
        using (var process = Process.GetProcessById(app.GetResource(victim).Pid!.Value))
        {
            process.Kill();
        }

        using var response = await call.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("awake", await response.Content.ReadAsStringAsync());
        var id = response.Headers.GetValues("x-execution-id").Single();
        var execution = await MeshFixture.EventuallyAsync(
            async () => await rest.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/executions/{id}"),
            e => e.TryGetProperty("worker", out _));
        Assert.NotEqual(victim, execution.GetProperty("worker").GetString());
    }

    /// <summary>The worker that reports a call in flight, if any.</summary>
    private async Task<string?> BusyWorkerAsync()
    {
        foreach (var name in new[] { "worker-0", "worker-1" })
        {
            using var channel = app.CreateServiceChannel(name);
            var status = await new Protos.V1.PushedSink.PushedSinkClient(channel).GetStatusAsync(new Protos.V1.GetStatusRequest());
            if (status.InFlight > 0)
            {
                return name;
            }
        }

        return null;
    }
}
