using Faas.AppHost.Health;
using Faas.AppHost.Services;

namespace Faas.AppHost.Garnet;

public static class GarnetExtensions
{
    /// <summary>
    /// Microsoft Garnet, a Redis-protocol server, as a process of its own (<c>infrastructure/Faas.Garnet</c>) on a free
    /// loopback port, with an append-only file in <paramref name="dataDirectory"/> when one is given; healthy when it
    /// answers PING. The services get <c>ConnectionStrings__{name}</c> = <c>127.0.0.1:port</c>.
    /// </summary>
    public static FaasConnection AddGarnet(this IDistributedApplicationBuilder builder, string name, string? dataDirectory)
    {
        var dll = ServiceBinaries.Dll("Faas.Garnet");
        var garnet = builder.AddExecutable(name, ServiceBinaries.DotNet, Path.GetDirectoryName(dll)!, dll)
            .WithEndpoint(name: "tcp", scheme: "tcp", env: "Garnet__Port", isProxied: false)
            .WithEndpoint("tcp", e => e.TargetHost = "127.0.0.1")
            .WithEnvironment("Garnet__Bind", "127.0.0.1")
            .WithOtlpExporter()
            .WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName);
        if (dataDirectory is not null)
        {
            garnet.WithEnvironment("Garnet__DataDirectory", dataDirectory);
        }

        var endpoint = garnet.GetEndpoint("tcp");
        var check = $"{name}_ping";
        garnet.WithPromptHealthCheck(check, () => new RespPingHealthCheck(endpoint));
        return FaasConnection.Embedded(name, garnet, ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}"));
    }
}
