using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Faas.ServiceDefaults.RequestParsing;

public static class RequestParsingExtensions
{
    /// <summary>
    /// Binds gRPC services with <see cref="ParsingServiceMethodProvider{TService}"/> instead of grpc-dotnet's own provider.
    /// Every <c>AddGrpc()</c> registers that provider again, so this runs once all services are registered.
    /// </summary>
    public static IServiceCollection UseStrictRequestParsing(this IServiceCollection services)
    {
        foreach (var grpcProvider in services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name == "BinderServiceMethodProvider`1").ToList())
        {
            services.Remove(grpcProvider);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IServiceMethodProvider<>), typeof(ParsingServiceMethodProvider<>)));
        return services;
    }
}
