using System.Net;
using System.Net.Sockets;
using Aspire.Hosting.ApplicationModel;
using Faas.Testing;

namespace Faas.AppHost.Tests.Unit;

/// <summary>
/// The app model Faas.AppHost declares, built and read without starting anything: which resources exist, what each
/// waits for, how its endpoints are exposed, how its health is judged and what an operator can do to it.
/// </summary>
[Trait("Category", "Integration")] // builds the AppHost's real app model (tens of seconds), starts nothing
public sealed class AppModelTests(AppModelTests.ThreeWorkers threeWorkers) : IClassFixture<AppModelTests.ThreeWorkers>
{
    private static readonly string[] Services = ["sinkmanager", "jobs", "scheduler", "compiler", "gateway"];

    [Fact]
    public async Task The_mesh_is_garnet_postgres_and_every_service_as_a_process_of_its_own()
    {
        var app = await threeWorkers.App;

        var resources = app.Model.Resources.ToDictionary(r => r.Name);
        foreach (var name in Services.Concat(["worker-0", "worker-1", "worker-2", "redis", "postgres"]))
        {
            Assert.True(resources.ContainsKey(name), $"{name} is missing from {string.Join(", ", resources.Keys)}");
            Assert.IsAssignableFrom<ExecutableResource>(resources[name]);
        }

        Assert.DoesNotContain("worker-3", resources.Keys);
        // No container anywhere: there is no container engine to run one.
        Assert.DoesNotContain(app.Model.Resources, r => r is ContainerResource);
    }

    [Fact]
    public async Task Each_service_waits_for_what_it_needs()
    {
        var app = await threeWorkers.App;

        Assert.Equal(["postgres"], WaitsFor(app, "sinkmanager"));
        Assert.Equal(["postgres", "sinkmanager"], WaitsFor(app, "worker-0"));
        Assert.Equal(["postgres", "sinkmanager"], WaitsFor(app, "worker-1"));
        Assert.Equal(["postgres", "sinkmanager"], WaitsFor(app, "jobs"));
        Assert.Equal(["postgres", "redis", "sinkmanager"], WaitsFor(app, "scheduler"));
        Assert.Equal(["postgres", "redis"], WaitsFor(app, "compiler"));
        Assert.Equal(["compiler", "postgres", "redis", "scheduler", "sinkmanager"], WaitsFor(app, "gateway"));
    }

    [Fact]
    public async Task Every_endpoint_is_on_loopback_and_not_proxied()
    {
        var app = await threeWorkers.App;

        var endpoints = app.Model.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Select(e => (r.Name, e))).ToList();
        Assert.NotEmpty(endpoints);
        foreach (var (resource, endpoint) in endpoints)
        {
            Assert.False(endpoint.IsProxied, $"{resource}/{endpoint.Name} is proxied");
            Assert.Equal("127.0.0.1", endpoint.TargetHost);
        }

        foreach (var service in Services.Append("worker-0"))
        {
            var names = endpoints.Where(e => e.Name == service).Select(e => e.e.Name).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["grpc", "http"], names);
            Assert.Equal("http2", endpoints.Single(e => e.Name == service && e.e.Name == "grpc").e.Transport);
        }
    }

    [Fact]
    public async Task The_gateway_listens_on_the_ports_it_is_given()
    {
        var (http, grpc) = (FreePort(), FreePort());
        await using var app = await FaasTestingBuilder.Create(o => o.ConfigureAppHost = a => (a.GatewayHttpPort, a.GatewayGrpcPort) = (http, grpc)).BuildAsync();

        var gateway = app.Model.Resources.Single(r => r.Name == "gateway").Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
        Assert.Equal(http, gateway["http"].Port);
        Assert.Equal(http, gateway["http"].TargetPort);
        Assert.Equal(grpc, gateway["grpc"].Port);
        Assert.Equal(grpc, gateway["grpc"].TargetPort);
    }

    [Fact]
    public async Task Every_resource_has_a_health_check_and_every_worker_a_drain_command()
    {
        var app = await threeWorkers.App;

        foreach (var resource in app.Model.Resources.OfType<ExecutableResource>())
        {
            Assert.True(resource.Annotations.OfType<HealthCheckAnnotation>().Any(), $"{resource.Name} has no health check");
        }

        foreach (var worker in new[] { "worker-0", "worker-1" })
        {
            Assert.Contains(app.Model.Resources.Single(r => r.Name == worker).Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "drain-sink");
        }

        Assert.DoesNotContain(app.Model.Resources.Single(r => r.Name == "gateway").Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "drain-sink");
    }

    [Fact]
    public async Task Existing_servers_replace_garnet_and_postgres()
    {
        await using var app = await FaasTestingBuilder.Create(o =>
        {
            o.RedisConnectionString = "127.0.0.1:6390";
            o.FaasDbConnectionString = "Host=127.0.0.1;Port=5499;Username=faas;Database=faas";
        }).BuildAsync();

        var names = app.Model.Resources.Select(r => r.Name).ToList();
        Assert.DoesNotContain("postgres", names);
        Assert.DoesNotContain(app.Model.Resources, r => r.Name == "redis" && r is ExecutableResource);
        // An existing server is there already: nothing to wait for.
        Assert.Empty(WaitsFor(app, "compiler"));
        var redis = Assert.Single(app.Model.Resources.OfType<IResourceWithConnectionString>(), r => r.Name == "redis");
        Assert.Equal("127.0.0.1:6390", await redis.GetConnectionStringAsync());
    }

    [Fact]
    public async Task Infrastructure_only_is_garnet_and_postgres()
    {
        await using var app = await FaasTestingBuilder.Create(o => o.InfrastructureOnly = true).BuildAsync();

        Assert.Equal(["postgres", "redis"], app.Model.Resources.OfType<ExecutableResource>().Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>One model with three workers, built once for the tests that only read it.</summary>
    public sealed class ThreeWorkers : IAsyncLifetime
    {
        public Task<FaasTestApp> App { get; private set; } = null!;

        public Task InitializeAsync()
        {
            App = FaasTestingBuilder.Create(o => o.Workers = 3).BuildAsync();
            return App;
        }

        public async Task DisposeAsync() => await (await App).DisposeAsync();
    }

    private static List<string> WaitsFor(FaasTestApp app, string resource) =>
        [.. app.Model.Resources.Single(r => r.Name == resource).Annotations.OfType<WaitAnnotation>()
            .Select(w => w.Resource.Name).Distinct().Order(StringComparer.Ordinal)];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
