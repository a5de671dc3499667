using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Faas.Protos.V1;
using Faas.Testing;
using Grpc.Net.Client;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// One mesh for the whole collection: every service in its own process, real PostgreSQL and Garnet, the real
/// compilers. Builds are limited to <see cref="BuildTimeoutSeconds"/>, so a compile bomb ends within a test; the limit
/// leaves room for an ordinary build on a machine busy with other test meshes (an AssemblyScript build, a Node.js
/// process, took more than 20 s on two shared cores).
/// </summary>
public sealed class MeshFixture : IAsyncLifetime
{
    public const int BuildTimeoutSeconds = 45;

    /// <summary>The operator's token for /metrics on every service of this mesh, as the AppHost generated it.</summary>
    public string MetricsToken => File.ReadAllText(App.State.MetricsTokenFile).Trim();

    /// <summary>Versions one function may have (<c>Gateway:MaxVersionsPerFunction</c>), low enough for a test to reach.</summary>
    public const int MaxVersionsPerFunction = 20;

    /// <summary>Bytes one page of a list may carry (<c>Gateway:MaxPageBytes</c>), low enough for a test to fill.</summary>
    public const int MaxPageBytes = 128 * 1024;

    /// <summary>
    /// Registrations and logins one client address may make per minute (<c>Auth:AccountRequestsPerAddress</c>): room for
    /// every test that registers from 127.0.0.1; the rate-limit tests come from addresses of their own.
    /// </summary>
    public const int AccountRequestsPerAddress = 100;

    private GrpcChannel? channel;

    public FaasTestApp App { get; private set; } = null!;

    public HttpClient Rest { get; private set; } = null!;

    public Functions.FunctionsClient Functions { get; private set; } = null!;

    public Invocations.InvocationsClient Invocations { get; private set; } = null!;

    public Executions.ExecutionsClient Executions { get; private set; } = null!;

    public GrpcChannel Channel => channel!;

    public async Task InitializeAsync()
    {
        App = await FaasTestingBuilder.Create(o =>
        {
            o.Workers = 2;
            o.ConfigureAppHost = appHost =>
            {
                appHost.BuildTimeoutSeconds = BuildTimeoutSeconds;
                // Callbacks reach the tests' listeners on this loopback address only: never the mesh's own 127.0.0.1.
                appHost.ServiceEnvironment["Callbacks__AllowedDestinations__0"] = CallbackListener.AllowedAddress;
                appHost.ServiceEnvironment["Gateway__MaxVersionsPerFunction"] = MaxVersionsPerFunction.ToString(System.Globalization.CultureInfo.InvariantCulture);
                appHost.ServiceEnvironment["Gateway__MaxPageBytes"] = MaxPageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
                appHost.ServiceEnvironment["Auth__AccountRequestsPerAddress"] = AccountRequestsPerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
                appHost.ServiceEnvironment["Auth__AccountRequestsPerGateway"] = "10000";
            };
        }).BuildAsync();
        await App.StartAsync();
        Rest = App.CreateHttpClient("gateway", "http");
        channel = App.CreateGatewayChannel();
        Functions = new Functions.FunctionsClient(channel);
        Invocations = new Invocations.InvocationsClient(channel);
        Executions = new Executions.ExecutionsClient(channel);
    }

    public async Task DisposeAsync()
    {
        channel?.Dispose();
        Rest?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    public static string Wat(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Functions", name + ".wat"));

    /// <summary>A sample source file from samples/functions, e.g. <c>Sample("echo.c")</c>.</summary>
    public static string Sample(string fileName) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Functions", fileName));

    /// <summary>Deploys source over REST (<c>?wait=true</c> when <paramref name="wait"/>) and returns the status code and the response JSON.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> DeploySourceAsync(
        string name, string language, string? source = null, byte[]? archive = null, bool wait = true, string? entryFile = null)
    {
        using var response = await Rest.PostAsJsonAsync(
            wait ? "/v1/functions?wait=true" : "/v1/functions",
            new { name, language, source, archive = archive is null ? null : Convert.ToBase64String(archive), entryFile });
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>A version's JSON over REST.</summary>
    public async Task<JsonElement> GetVersionAsync(string name, int version)
    {
        using var response = await Rest.GetAsync($"/v1/functions/{name}/versions/{version}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET version {version} of {name}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Deploys a sample over REST and returns the response JSON.</summary>
    public Task<JsonElement> DeployAsync(string name, string sample, object? config = null) => DeployAsync(Rest, name, sample, config);

    /// <summary>Deploys a sample through the given gateway client and returns the response JSON.</summary>
    public static async Task<JsonElement> DeployAsync(HttpClient rest, string name, string sample, object? config = null)
    {
        using var response = await rest.PostAsJsonAsync("/v1/functions", new { name, language = "wat", source = Wat(sample), config });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Deploy of {name} failed: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public Task<HttpResponseMessage> InvokeAsync(string name, string payload, string query = "") =>
        Rest.PostAsync($"/v1/functions/{name}:invoke{query}", new StringContent(payload));

    /// <summary>Polls until the condition holds or the deadline passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(50);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class MeshCollection : ICollectionFixture<MeshFixture>
{
    public const string Name = "mesh";
}
