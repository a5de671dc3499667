using Faas.AppHost.Model;

namespace Faas.AppHost.Hosting;

/// <summary>The one line printed when every resource is healthy.</summary>
public static class ReadyBanner
{
    /// <param name="dashboardLogin">The dashboard's login link (it carries the dashboard's token).</param>
    public static string Format(FaasAppModel model, Uri dashboardLogin)
    {
        var dashboardAddress = dashboardLogin.ToString();
        if (!model.Projects.Any())
        {
            // Infrastructure only: name the servers (never the external connection strings, which may hold secrets).
            var servers = model.Resources.Select(r => $"{r.Name} {r.Endpoints[0].Address} · ");
            return $"Faas infrastructure is ready: {string.Concat(servers)}dashboard {dashboardAddress}";
        }

        var gateway = model.GetResource(ResourceNames.Gateway);
        return $"Faas is ready: REST {gateway.GetEndpoint(EndpointDefinition.Http).Address} · " +
               $"gRPC {gateway.GetEndpoint(EndpointDefinition.Grpc).Address} (HTTP/2 cleartext) · " +
               $"dashboard {dashboardAddress}";
    }
}
