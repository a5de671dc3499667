using System.Net.Http.Json;
using System.Text.Json;
using Faas.Testing;
using Grpc.Net.Client;

namespace Faas.EndToEnd.Tests.Sinks;

/// <summary>
/// A mesh of its own for the sink tests (they stop workers and delete sinks): heartbeats every 500 ms, offline after
/// 1.5 s, and workers that offer 1024 MB to functions, so memory-class routing has something to route around.
/// </summary>
public sealed class SinkMeshFixture : IAsyncLifetime
{
    public const int WorkerMemoryMb = 1024;

    public static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(1.5);

    public FaasTestApp App { get; private set; } = null!;

    /// <summary>The gateway's REST API as the administrator.</summary>
    public HttpClient Rest { get; private set; } = null!;

    /// <summary>The sink manager's gRPC endpoint, where sinks connect.</summary>
    public GrpcChannel SinkManager { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 2;
            o.ConfigureAppHost = appHost =>
            {
                appHost.ServiceEnvironment["SinkManager__HeartbeatInterval"] = "00:00:00.5";
                appHost.ServiceEnvironment["SinkManager__OfflineAfter"] = OfflineAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
                appHost.ServiceEnvironment["SinkManager__AckTimeout"] = "00:00:03";
                appHost.ServiceEnvironment["SinkManager__UnplaceableAfter"] = "00:00:02";
                appHost.ServiceEnvironment["Sink__MemoryMb"] = WorkerMemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
            };
        }).BuildAsync();
        await App.StartAsync();
        Rest = App.CreateHttpClient("gateway", "http");
        SinkManager = GrpcChannel.ForAddress(App.GetEndpoint("sinkmanager", "grpc"));
    }

    public async Task DisposeAsync()
    {
        SinkManager?.Dispose();
        Rest?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>A new sink credential (<c>fsc_…</c>) made through the gateway's admin API.</summary>
    public async Task<(string Id, string Secret)> CreateCredentialAsync(string name)
    {
        using var response = await Rest.PostAsJsonAsync("/v1/sinkCredentials", new { name });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"creating credential {name}: {(int)response.StatusCode} {body}");
        var json = JsonDocument.Parse(body).RootElement;
        return (json.GetProperty("credential").GetProperty("id").GetString()!, json.GetProperty("secret").GetString()!);
    }

    /// <summary>Every sink as the admin API lists it.</summary>
    public async Task<IReadOnlyList<JsonElement>> SinksAsync()
    {
        var json = await Rest.GetFromJsonAsync<JsonElement>("/v1/sinks");
        return json.TryGetProperty("sinks", out var sinks) ? [.. sinks.EnumerateArray()] : [];
    }

    public async Task<JsonElement?> SinkNamedAsync(string name) =>
        (await SinksAsync()).Cast<JsonElement?>().FirstOrDefault(s => s!.Value.GetProperty("name").GetString() == name);

    public async Task<string?> SinkStateAsync(string name) => (await SinkNamedAsync(name))?.GetProperty("state").GetString();

    /// <summary>Deploys a JavaScript function (any source: the test sinks never run it).</summary>
    public async Task DeployJavaScriptAsync(string name, string source = "process.stdout.write('js')", object? config = null)
    {
        using var response = await Rest.PostAsJsonAsync("/v1/functions", new { name, language = "javascript", source, config });
        Assert.True(response.IsSuccessStatusCode, $"deploy {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
