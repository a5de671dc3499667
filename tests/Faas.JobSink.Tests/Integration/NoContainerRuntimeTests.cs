using System.Net;
using System.Net.Http.Json;
using Faas.Testing;

namespace Faas.JobSink.Tests.Integration;

/// <summary>
/// A mesh whose job sink finds no runc: JOB functions still deploy, their invocations are refused with
/// UNAVAILABLE naming what is missing (never run without isolation), and health and the dashboard say so.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NoContainerRuntimeTests : IAsyncLifetime
{
    private FaasTestApp app = null!;
    private HttpClient rest = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 1;
            o.ConfigureAppHost = appHost => appHost.ServiceEnvironment["Jobs__RuncPath"] = "/nonexistent/runc";
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

    [Fact]
    public async Task Job_invocation_is_unavailable_with_the_reason_and_health_and_dashboard_say_so()
    {
        using (var deployed = await rest.PostAsJsonAsync("/v1/functions", new
        {
            name = "job-nowhere",
            language = "wat",
            source = JobMeshFixture.Wat("echo"),
            config = new { mode = "JOB" },
        }))
        {
            Assert.True(deployed.IsSuccessStatusCode, await deployed.Content.ReadAsStringAsync());
        }

        using var response = await rest.PostAsync("/v1/functions/job-nowhere:invoke", new StringContent("hello"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("runc is not installed", body);

        using var jobs = app.CreateHttpClient("jobs", "http");
        using var health = await jobs.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // WARM functions are unaffected
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());

        // The dashboard shows it on the job sink's resource.
        var shown = await app.WaitForResourceAsync("jobs", r => r.Properties.ContainsKey("faas.jobMode"));
        Assert.StartsWith("unavailable: ", shown.Properties["faas.jobMode"], StringComparison.Ordinal);
        Assert.Contains("runc is not installed", shown.Properties["faas.jobMode"], StringComparison.Ordinal);
    }
}
