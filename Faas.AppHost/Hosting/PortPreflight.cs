using System.Net;
using System.Net.Sockets;

namespace Faas.AppHost.Hosting;

/// <summary>
/// Fails fast, before anything starts, when a fixed port is taken, naming the port and the setting
/// that changes it (a bind error deep inside Kestrel or a service would not).
/// </summary>
public static class PortPreflight
{
    public static void EnsurePortsAreFree(AppHostOptions options, Func<int, bool>? isInUse = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        isInUse ??= IsInUse;
        var checks = DashboardPorts.For(options.DashboardPort)
            .Select(p => (Port: p, What: "the dashboard", Key: "AppHost:DashboardPort", Switch: "--dashboard-port"))
            .ToList();
        if (!options.InfrastructureOnly)
        {
            checks.Add((options.GatewayHttpPort, "the gateway's REST endpoint", "AppHost:GatewayHttpPort", "--gateway-http-port"));
            checks.Add((options.GatewayGrpcPort, "the gateway's gRPC endpoint", "AppHost:GatewayGrpcPort", "--gateway-grpc-port"));
        }

        var taken = checks.Where(c => c.Port != 0 && isInUse(c.Port))
            .Select(c => $"Port {c.Port} for {c.What} is already in use (is another Faas AppHost running?). " +
                         $"Choose another with {c.Switch} <port> or the {c.Key} setting (0 picks a free port).")
            .ToList();

        if (taken.Count > 0)
        {
            throw new AppHostConfigurationException(string.Join(Environment.NewLine, taken));
        }
    }

    /// <summary>Whether something listens on, or holds, the loopback port.</summary>
    public static bool IsInUse(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
