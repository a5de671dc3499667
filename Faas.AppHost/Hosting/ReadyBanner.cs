using Faas.AppHost.Model;

namespace Faas.AppHost.Hosting;

/// <summary>The one line printed when every resource is healthy.</summary>
public static class ReadyBanner
{
    public static string Format(FaasAppModel model, Uri dashboard)
    {
        var gateway = model.GetResource(ResourceNames.Gateway);
        return $"Faas is ready: REST {gateway.GetEndpoint(EndpointDefinition.Http).Address} · " +
               $"gRPC {gateway.GetEndpoint(EndpointDefinition.Grpc).Address} (HTTP/2 cleartext) · " +
               $"dashboard {dashboard.GetLeftPart(UriPartial.Authority)}";
    }
}
