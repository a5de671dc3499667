using System.Net.Http.Json;
using Faas.Testing;

namespace Faas.JobSink.Tests.Integration;

/// <summary>
/// The whole mesh with JOB mode on real runc containers: the job runner published first, container ids
/// with this run's <see cref="Containers.MeshPrefix"/>, bundles in the mesh's own state directory.
/// </summary>
public sealed class JobMeshFixture : IAsyncLifetime
{
    public const string MetricsToken = "scrape-token-for-job-tests";

    public FaasTestApp App { get; private set; } = null!;

    public HttpClient Rest { get; private set; } = null!;

    public string Bundles => Path.Combine(App.StateDirectory, "jobs", "bundles");

    public async Task InitializeAsync()
    {
        await JobRunnerFixture.GetAsync();
        App = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 1;
            o.ConfigureAppHost = appHost =>
            {
                appHost.ServiceEnvironment["Jobs__ContainerPrefix"] = Containers.MeshPrefix;
                appHost.ServiceEnvironment["Metrics__BearerToken"] = MetricsToken;
            };
        }).BuildAsync();
        await App.StartAsync();
        Rest = App.CreateHttpClient("gateway", "http");
    }

    public async Task DisposeAsync()
    {
        Rest?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        // After the whole run: not one container of the mesh's is left, prepared ones included.
        var left = await Containers.LeftAsync(Containers.MeshPrefix);
        Assert.True(left.Count == 0, $"containers left behind: {string.Join(", ", left)}");
    }

    public static string Wat(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Functions", name + ".wat"));

    /// <summary>Deploys a JOB-mode function from WebAssembly text.</summary>
    public async Task DeployJobAsync(
        string name, string wat, int timeoutMs = 10_000, int memoryMb = 32, Dictionary<string, string>? env = null, Dictionary<string, string>? secrets = null)
    {
        using var response = await Rest.PostAsJsonAsync("/v1/functions", new
        {
            name,
            language = "wat",
            source = wat,
            config = new { mode = "JOB", timeoutMs, memoryMb, env = env ?? [], secrets = secrets ?? [] },
        });
        Assert.True(response.IsSuccessStatusCode, $"deploy {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

[CollectionDefinition(Name)]
public sealed class JobMeshCollection : ICollectionFixture<JobMeshFixture>
{
    public const string Name = "job mesh";
}
