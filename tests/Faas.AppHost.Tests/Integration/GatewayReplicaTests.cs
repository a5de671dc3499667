using System.Net;
using Aspire.Hosting.ApplicationModel;
using Faas.Protos.V1;
using Faas.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Faas.AppHost.Tests.Integration;

/// <summary>A mesh with two gateways against one scheduler, the second with a setting of its own.</summary>
[Trait("Category", "Integration")]
public sealed class GatewayReplicaTests(GatewayReplicaTests.TwoGateways mesh) : IClassFixture<GatewayReplicaTests.TwoGateways>
{
    private const string OwnSetting = "Gateway__SyncInvoke";

    private FaasTestApp App => mesh.App;

    [Fact]
    public void The_second_gateway_is_a_resource_of_its_own_waiting_for_what_the_first_waits_for()
    {
        Assert.Equal(["gateway", "gateway-1"], App.Gateways);
        var first = App.Model.Resources.Single(r => r.Name == "gateway");
        var second = App.Model.Resources.Single(r => r.Name == "gateway-1");

        Assert.Equal(WaitsFor(first), WaitsFor(second));
        Assert.NotEqual(App.GetEndpoint("gateway", "http"), App.GetEndpoint("gateway-1", "http"));
        Assert.NotEqual(App.GetEndpoint("gateway", "grpc"), App.GetEndpoint("gateway-1", "grpc"));
    }

    [Fact]
    public async Task Both_gateways_serve_rest_with_the_one_administrator_key()
    {
        foreach (var gateway in App.Gateways)
        {
            using var client = App.CreateHttpClient(gateway);

            using var response = await client.GetAsync(new Uri("/v1/functions", UriKind.Relative));

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{gateway}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task Both_gateways_serve_grpc()
    {
        foreach (var gateway in App.Gateways)
        {
            using var channel = App.CreateGatewayChannel(resourceName: gateway);

            var me = await new Auth.AuthClient(channel).WhoAmIAsync(new WhoAmIRequest());

            Assert.Equal(Role.Admin, me.Role);
        }
    }

    [Fact]
    public void A_gateway_gets_its_own_settings_and_the_others_do_not()
    {
        Assert.Equal("Scheduler", ProcessTable.Environment(App.GetProcessId("gateway-1")).GetValueOrDefault(OwnSetting));
        Assert.False(ProcessTable.Environment(App.GetProcessId("gateway")).ContainsKey(OwnSetting));
        Assert.Equal(App.State.AdminKeyFile, ProcessTable.Environment(App.GetProcessId("gateway-1"))["Auth__BootstrapAdminKeyFile"]);
    }

    [Fact]
    public async Task The_ready_line_names_every_gateway()
    {
        var line = await App.Services.GetRequiredService<Faas.AppHost.Hosting.ReadyLine>().Line.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains($"REST {App.GetEndpoint("gateway", "http").ToString().TrimEnd('/')} ", line, StringComparison.Ordinal);
        Assert.Contains($"gateway-1 REST {App.GetEndpoint("gateway-1", "http").ToString().TrimEnd('/')} ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_killed_gateway_is_started_again_while_the_other_keeps_serving()
    {
        var before = await App.WaitForResourceHealthyAsync("gateway-1");

        var killed = App.Kill("gateway-1");
        using (var client = App.CreateHttpClient("gateway"))
        using (var response = await client.GetAsync(new Uri("/v1/functions", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var after = await App.WaitForResourceAsync("gateway-1", r => r.Pid != killed && r.IsHealthy);
        Assert.Equal(before.Restarts + 1, after.Restarts);
        Assert.False(ProcessTable.IsAlive(killed));
        using var again = App.CreateHttpClient("gateway-1");
        using var served = await again.GetAsync(new Uri("/v1/functions", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private static List<string> WaitsFor(IResource resource) =>
        [.. resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>One worker, two gateways; the second told to take the scheduler's path for synchronous calls.</summary>
    public sealed class TwoGateways : IAsyncLifetime
    {
        public FaasTestApp App { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            App = await FaasTestingBuilder.Create(o =>
            {
                o.Workers = 1;
                o.Gateways = 2;
                o.GatewayEnvironment[1] = new() { [OwnSetting] = "Scheduler" };
            }).BuildAsync();
            await App.StartAsync();
        }

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
