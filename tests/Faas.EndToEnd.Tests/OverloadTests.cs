using System.Net;

namespace Faas.EndToEnd.Tests;

/// <summary>Offered load beyond a function's capacity: the excess is shed at once, what is accepted runs, and one
/// flooded function does not hold up another.</summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OverloadTests(MeshFixture mesh)
{
    [Fact]
    public async Task Twice_the_capacity_is_shed_with_429_what_was_accepted_succeeds_and_the_function_recovers()
    {
        // Capacity 4: two running, two waiting. Eight callers at once is twice that. Each run waits 5 s, so no slot frees
        // while the eight arrive, however slowly a loaded machine lets them in.
        await mesh.DeployAsync("overloaded", "doze", new { timeoutMs = 30_000, maxConcurrency = 2, queueCapacity = 2 });

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => mesh.InvokeAsync("overloaded", "")));
        try
        {
            var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
            var shed = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.Equal(responses.Length, accepted.Count + shed.Count);
            Assert.True(shed.Count >= 4, $"{shed.Count} of 8 shed; at most 4 fit");
            Assert.NotEmpty(accepted);
            foreach (var ok in accepted)
            {
                Assert.Equal("awake", await ok.Content.ReadAsStringAsync());
            }

            foreach (var rejected in shed)
            {
                Assert.True(int.Parse(rejected.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            }
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        // Load gone: the next call is accepted and runs.
        using (var next = await mesh.InvokeAsync("overloaded", ""))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        // Rejections, queue waits, depth and in-flight are exported per function.
        using var scheduler = mesh.App.CreateHttpClient("scheduler", "http", bearer: mesh.MetricsToken);
        var metrics = await scheduler.GetStringAsync("/metrics");
        var lines = metrics.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("faas_scheduler_rejections", StringComparison.Ordinal) && l.Contains("/overloaded\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("faas_scheduler_queue_wait", StringComparison.Ordinal) && l.Contains("/overloaded\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("faas_scheduler_queue_depth", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("faas_scheduler_in_flight", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flood_on_one_function_does_not_hold_up_another()
    {
        await mesh.DeployAsync("flooded", "busy", new { timeoutMs = 60_000, maxConcurrency = 1, queueCapacity = 50 });
        await mesh.DeployAsync("bystander", "echo");

        // Ten calls of about a second each, one at a time: the flood lasts several seconds.
        var flood = Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await mesh.InvokeAsync("flooded", "");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return DateTimeOffset.UtcNow;
        }).ToList();

        var bystanderDone = DateTimeOffset.MinValue;
        for (var i = 0; i < 5; i++)
        {
            using var response = await mesh.InvokeAsync("bystander", $"call {i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"call {i}", await response.Content.ReadAsStringAsync());
            bystanderDone = DateTimeOffset.UtcNow;
        }

        var floodDone = (await Task.WhenAll(flood)).Max();
        Assert.True(bystanderDone < floodDone, "the bystander's calls finished while the flood was still queued");
    }
}
