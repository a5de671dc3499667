using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Faas.EndToEnd.Tests.Auth;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// One tenant against the others and against the quota: a flood of slow calls must leave another tenant a slot, and
/// a caller who hangs up must stop the run it started (and so give its slot and quota back). The mesh has two
/// workers of two slots each, so a tenant's share (Scheduler:TenantSlotShare, 0.75) is three slots.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Security")]
[Trait("Category", "Integration")]
public sealed class FairnessTests(MeshFixture mesh) : IAsyncLifetime
{
    /// <summary>The stated bound (docs/security.md) on a quiet tenant's call while another floods: seconds, against a 30 s flood.</summary>
    private static readonly TimeSpan QuietCallBound = TimeSpan.FromSeconds(5);

    private TenantSession flooder = null!;
    private TenantSession quiet = null!;

    public async Task InitializeAsync()
    {
        flooder = await TenantSession.RegisterAsync(mesh.App, "flooder");
        quiet = await TenantSession.RegisterAsync(mesh.App, "quiet");
    }

    public Task DisposeAsync()
    {
        flooder.Dispose();
        quiet.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_tenant_flooding_with_slow_calls_leaves_another_tenant_a_slot()
    {
        await MeshFixture.DeployAsync(flooder.Rest, "slumber", "slumber", new { timeoutMs = 60_000 });
        await MeshFixture.DeployAsync(quiet.Rest, "echo", "echo");
        await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 0, TimeSpan.FromSeconds(30));
        using var flood = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 8).Select(_ => flooder.Rest.PostAsync("/v1/functions/slumber:invoke", new StringContent(""), flood.Token)).ToList();
        try
        {
            await MeshFixture.EventuallyAsync(InFlightAsync, n => n >= 3, TimeSpan.FromSeconds(30));

            var clock = Stopwatch.StartNew();
            using var response = await quiet.Rest.PostAsync("/v1/functions/echo:invoke", new StringContent("still served"));
            var elapsed = clock.Elapsed;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("still served", await response.Content.ReadAsStringAsync());
            Assert.True(elapsed < QuietCallBound, $"the quiet tenant's call took {elapsed.TotalSeconds:0.0} s while another tenant flooded");
            Assert.Equal(3, await InFlightAsync());
        }
        finally
        {
            await flood.CancelAsync();
            await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));
            await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 0, TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task A_caller_who_hangs_up_stops_the_run_and_the_execution_is_recorded_as_cancelled()
    {
        // A busy loop, not a sleep: only interrupting the running code stops it before its 60 s timeout.
        await MeshFixture.DeployAsync(flooder.Rest, "spin", "spin", new { timeoutMs = 60_000 });
        await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 0, TimeSpan.FromSeconds(30));
        using var hangUp = new CancellationTokenSource();
        var call = flooder.Rest.PostAsync("/v1/functions/spin:invoke", new StringContent(""), hangUp.Token);
        await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 1, TimeSpan.FromSeconds(30));

        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        Assert.Equal(0, await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 0, TimeSpan.FromSeconds(15)));
        var recorded = await MeshFixture.EventuallyAsync(() => ExecutionsAsync(flooder, "spin"), e => e.Count == 1, TimeSpan.FromSeconds(15));
        Assert.True(Assert.Single(recorded).GetProperty("status").GetString() == "CANCELLED", recorded[0].ToString());
    }

    [Fact]
    public async Task A_call_refused_for_a_full_queue_has_a_record_under_the_id_it_was_given()
    {
        await MeshFixture.DeployAsync(quiet.Rest, "narrow", "slumber", new { timeoutMs = 60_000, maxConcurrency = 1, queueCapacity = 0 });
        await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 0, TimeSpan.FromSeconds(30));
        using var stop = new CancellationTokenSource();
        var holding = quiet.Rest.PostAsync("/v1/functions/narrow:invoke", new StringContent(""), stop.Token);
        try
        {
            await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 1, TimeSpan.FromSeconds(30));

            using var refused = await quiet.Rest.PostAsync("/v1/functions/narrow:invoke", new StringContent(""));

            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var id = refused.Headers.GetValues("x-execution-id").Single();
            var record = await MeshFixture.EventuallyAsync(() => ExecutionAsync(quiet, id), e => e.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(15));
            Assert.Equal("REJECTED", record.GetProperty("status").GetString());
        }
        finally
        {
            await stop.CancelAsync();
            await holding.ContinueWith(_ => { }, TaskScheduler.Default);
            await MeshFixture.EventuallyAsync(InFlightAsync, n => n == 0, TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>Runs in flight on every sink, as their heartbeats (every second) report them.</summary>
    private async Task<int> InFlightAsync()
    {
        using var response = await mesh.Rest.GetAsync("/v1/sinks");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return body.GetProperty("sinks").EnumerateArray()
            .Sum(s => s.TryGetProperty("load", out var load) && load.TryGetProperty("inFlight", out var n) ? n.GetInt32() : 0);
    }

    private static async Task<List<JsonElement>> ExecutionsAsync(TenantSession tenant, string function)
    {
        using var response = await tenant.Rest.GetAsync($"/v1/executions?function={function}");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return body.TryGetProperty("executions", out var list) ? [.. list.EnumerateArray().Select(e => e.Clone())] : [];
    }

    private static async Task<JsonElement> ExecutionAsync(TenantSession tenant, string id)
    {
        using var response = await tenant.Rest.GetAsync($"/v1/executions/{id}");
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : default;
    }
}
