using System.Diagnostics;
using System.Net;
using Faas.Testing;

namespace Faas.Mesh.Tests;

/// <summary>Kills runtime workers, so it has a mesh of its own.</summary>
public sealed class WorkerFailureTests : IAsyncLifetime
{
    private FaasTestApp app = null!;
    private HttpClient rest = null!;

    public async Task InitializeAsync()
    {
        app = FaasTestingBuilder.Create(o => o.Workers = 2).Build();
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

    /// <summary>The runtime worker that reports a call in flight, if any.</summary>
    private async Task<string?> BusyWorkerAsync()
    {
        foreach (var name in new[] { "runtime-0", "runtime-1" })
        {
            using var channel = app.CreateServiceChannel(name);
            var status = await new Protos.V1.Runtime.RuntimeClient(channel).GetStatusAsync(new Protos.V1.GetStatusRequest());
            if (status.InFlight > 0)
            {
                return name;
            }
        }

        return null;
    }
}
