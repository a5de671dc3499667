using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Faas.ServiceDefaults.RequestParsing;

/// <summary>
/// Binds a gRPC service's methods as grpc-dotnet's own provider does (the generated <c>BindService</c>, named by the
/// service base's <see cref="BindServiceMethodAttribute"/>), each with <see cref="RequestParsing.Strict{TRequest, TResponse}"/>.
/// </summary>
internal sealed class ParsingServiceMethodProvider<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is not { } bind)
            {
                continue;
            }

            var bindService = bind.BindType.GetMethod(
                bind.BindMethodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(ServiceBinderBase), type])
                ?? throw new InvalidOperationException($"{bind.BindType} has no {bind.BindMethodName}(ServiceBinderBase, {type.Name}).");
            bindService.Invoke(null, [new ParsingServiceBinder<TService>(context, type), null]);
            return;
        }
    }
}
