using System.Net;
using System.Net.Sockets;
using Faas.AppHost.Hosting;

namespace Faas.AppHost.Tests.Unit;

public sealed class PortPreflightTests
{
    [Fact]
    public void A_port_someone_listens_on_is_detected_as_in_use()
    {
        using var listener = ListenOnFreePort(out var port);

        Assert.True(PortPreflight.IsInUse(port));
    }

    [Fact]
    public void A_free_port_is_not_in_use()
    {
        int port;
        using (ListenOnFreePort(out port))
        {
        }

        Assert.False(PortPreflight.IsInUse(port));
    }

    [Fact]
    public void A_taken_gateway_port_is_an_error_naming_the_port_and_the_switch()
    {
        using var listener = ListenOnFreePort(out var port);
        var options = new AppHostOptions { GatewayHttpPort = port, GatewayGrpcPort = 0, DashboardPort = 0 };

        var error = Assert.Throws<AppHostConfigurationException>(() => PortPreflight.EnsurePortsAreFree(options));

        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains("--gateway-http-port", error.Message);
        Assert.Contains("AppHost:GatewayHttpPort", error.Message);
    }

    [Fact]
    public void Every_taken_port_is_reported()
    {
        var options = new AppHostOptions { GatewayHttpPort = 1, GatewayGrpcPort = 2, DashboardPort = 3 };

        var error = Assert.Throws<AppHostConfigurationException>(() => PortPreflight.EnsurePortsAreFree(options, isInUse: _ => true));

        Assert.Contains("--gateway-http-port", error.Message);
        Assert.Contains("--gateway-grpc-port", error.Message);
        Assert.Contains("--dashboard-port", error.Message);
    }

    [Fact]
    public void Ports_picked_freely_are_not_checked() =>
        PortPreflight.EnsurePortsAreFree(new AppHostOptions { GatewayHttpPort = 0, GatewayGrpcPort = 0, DashboardPort = 0 }, isInUse: _ => true);

    [Fact]
    public void Gateway_ports_are_not_checked_when_only_the_infrastructure_runs() =>
        PortPreflight.EnsurePortsAreFree(
            new AppHostOptions { InfrastructureOnly = true, GatewayHttpPort = 1, GatewayGrpcPort = 2, DashboardPort = 0 }, isInUse: _ => true);

    private static TcpListener ListenOnFreePort(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }
}
