using Microsoft.Extensions.Configuration;

namespace Faas.AppHost.Hosting;

/// <summary>
/// The Aspire dashboard's three addresses from one port (<c>--dashboard-port</c>): the dashboard on it, its OTLP
/// receiver on the next, its resource service on the one after. 0 leaves them as the launch profile set them.
/// </summary>
public static class DashboardPorts
{
    public static IEnumerable<int> For(int dashboardPort) => dashboardPort == 0 ? [] : [dashboardPort, dashboardPort + 1, dashboardPort + 2];

    public static void Apply(IConfiguration configuration, int dashboardPort)
    {
        if (dashboardPort == 0)
        {
            return;
        }

        configuration["ASPNETCORE_URLS"] = Url(dashboardPort);
        configuration["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = Url(dashboardPort + 1);
        configuration["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = Url(dashboardPort + 2);
    }

    private static string Url(int port) => $"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
