using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.Testing;
using Xunit.Abstractions;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// The one-hop synchronous path through a real mesh with three gateways against one scheduler: <c>gateway</c> and
/// <c>gateway-1</c> on slot leases (the default), <c>gateway-2</c> on the scheduler's Dispatch. Kills a gateway, so it has
/// a mesh of its own.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OneHopTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FaasTestApp app = null!;
    private HttpClient[] gateways = [];

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 2;
            o.Gateways = 3;
            o.GatewayEnvironment[2] = new() { ["Gateway__SyncInvoke"] = "Scheduler" };
        }).BuildAsync();
        await app.StartAsync();
        gateways = [.. app.Gateways.Select(g => app.CreateHttpClient(g, "http"))];
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in gateways)
        {
            gateway.Dispose();
        }

        await app.DisposeAsync();
    }

    [Fact]
    public async Task Max_concurrency_holds_across_two_gateways_as_the_workers_see_it()
    {
        await MeshFixture.DeployAsync(gateways[0], "four-at-once", "nap", new { maxConcurrency = 4, queueCapacity = 1000 });
        using var sampling = new CancellationTokenSource();
        var sampler = MaxInFlightAsync(sampling.Token);

        // Two gateways, twelve callers each, 40 calls per caller: three times the function's limit from each gateway.
        var callers = gateways[..2].SelectMany(gateway => Enumerable.Range(0, 12).Select(async _ =>
        {
            var failures = new List<string>();
            for (var i = 0; i < 40; i++)
            {
                using var response = await gateway.PostAsync("/v1/functions/four-at-once:invoke", new StringContent(""));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }

            return failures;
        })).ToList();
        var failed = (await Task.WhenAll(callers)).SelectMany(f => f).ToList();
        await sampling.CancelAsync();
        var (max, samples) = await sampler;

        output.WriteLine($"most runs in flight on the workers at once: {max} ({samples} samples)");
        Assert.Empty(failed);
        Assert.InRange(max, 2, 4); // the limit held, and the calls did overlap
        Assert.True(samples > 20, $"only {samples} samples");

        // Both gateways took the one-hop path: each asked the scheduler for leases.
        foreach (var gateway in app.Gateways.Take(2))
        {
            Assert.True(await LeaseAcquiresAsync(gateway) > 0, $"{gateway} asked for no lease");
        }
    }

    [Fact]
    public async Task A_gateway_killed_with_minus_9_gives_its_leases_back_within_the_lease_expiry()
    {
        // doze runs 5 s: two calls through gateway-1 hold both slots of the function.
        await MeshFixture.DeployAsync(gateways[0], "two-at-once", "doze", new { maxConcurrency = 2, queueCapacity = 100, timeoutMs = 30_000 });
        var held = new[] { Call(gateways[1]), Call(gateways[1]) };
        await MeshFixture.EventuallyAsync(WorkersInFlightAsync, n => n == 2, TimeSpan.FromSeconds(15));
        Assert.Equal(2, await WorkersInFlightAsync());

        // A call through gateway 0 waits in the function's queue: both slots are leased to gateway-1.
        var sent = Stopwatch.StartNew();
        var waiting = Call(gateways[0]);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(waiting.IsCompleted, "the call did not wait for a slot");

        var killedAt = sent.Elapsed;
        app.Kill("gateway-1");
        using var response = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        var answeredAt = sent.Elapsed;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("awake", await response.Content.ReadAsStringAsync());
        var id = response.Headers.GetValues("x-execution-id").Single();
        var execution = await MeshFixture.EventuallyAsync(
            async () => await gateways[0].GetFromJsonAsync<JsonElement>($"/v1/executions/{id}"),
            e => e.TryGetProperty("status", out var s) && s.GetString() == "SUCCEEDED");
        var waited = Micros(execution, "queueMicros");
        // When the run began, as the caller's clock has it: the answer, less the run the record reports.
        var afterKill = answeredAt - Micros(execution, "runMicros") - killedAt;
        output.WriteLine($"the call through gateway 0 waited {waited.TotalMilliseconds:0} ms for a slot; its run began at most {afterKill.TotalMilliseconds:0} ms after gateway-1 was killed");

        // The scheduler's lease expiry (Scheduler:Leases:Expiry, 3 s) bounds it; a killed process closes its connection,
        // so its leases come back as soon as the scheduler reads that.
        Assert.True(waited >= TimeSpan.FromMilliseconds(500), $"waited only {waited.TotalMilliseconds:0} ms");
        Assert.True(afterKill < TimeSpan.FromSeconds(3), $"{afterKill.TotalMilliseconds:0} ms after the kill");
        foreach (var call in held)
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => call); // their gateway died under them
        }
    }

    [Fact]
    public async Task The_scheduler_path_stays_selectable_and_answers_as_the_one_hop_path_does()
    {
        await MeshFixture.DeployAsync(gateways[0], "either-way", "echo");

        foreach (var gateway in new[] { gateways[0], gateways[2] })
        {
            using var response = await gateway.PostAsync("/v1/functions/either-way:invoke", new StringContent("same answer"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("same answer", await response.Content.ReadAsStringAsync());
            Assert.True(response.Headers.Contains("x-execution-id"));
        }

        Assert.Equal(0, await LeaseAcquiresAsync("gateway-2"));
        Assert.True(await LeaseAcquiresAsync("gateway") > 0);
    }

    private static TimeSpan Micros(JsonElement execution, string field) => TimeSpan.FromTicks(10 * (execution.TryGetProperty(field, out var micros)
        ? micros.ValueKind == JsonValueKind.Number ? micros.GetInt64() : long.Parse(micros.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
        : 0));

    private Task<HttpResponseMessage> Call(HttpClient gateway) => gateway.PostAsync("/v1/functions/two-at-once:invoke", new StringContent(""));

    /// <summary>Runs in flight on both workers together, as each reports it.</summary>
    private async Task<int> WorkersInFlightAsync()
    {
        var total = 0;
        foreach (var name in new[] { "worker-0", "worker-1" })
        {
            using var channel = app.CreateServiceChannel(name);
            total += (int)(await new Protos.V1.PushedSink.PushedSinkClient(channel).GetStatusAsync(new Protos.V1.GetStatusRequest())).InFlight;
        }

        return total;
    }

    private async Task<(int Max, int Samples)> MaxInFlightAsync(CancellationToken stop)
    {
        var max = 0;
        var samples = 0;
        while (!stop.IsCancellationRequested)
        {
            max = Math.Max(max, await WorkersInFlightAsync());
            samples++;
            await Task.Delay(5, CancellationToken.None);
        }

        return (max, samples);
    }

    /// <summary>The gateway's <c>faas_gateway_lease_acquires</c> total over every outcome, from its /metrics.</summary>
    private async Task<double> LeaseAcquiresAsync(string gateway)
    {
        using var metrics = app.CreateHttpClient(gateway, "http", bearer: File.ReadAllText(app.State.MetricsTokenFile).Trim());
        var text = await metrics.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(line => line.StartsWith("faas_gateway_lease_acquires", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
