using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;

namespace Faas.ServiceDefaults.RequestParsing;

/// <summary>
/// Receives the methods a generated <c>BindService</c> declares and adds each to the endpoint model with its strict
/// request marshaller, the service's implementation as invoker and, as grpc-dotnet does, the attributes of the service
/// and of the method (<c>[AllowAnonymous]</c>, <c>[EnableRateLimiting]</c>, …) as endpoint metadata.
/// </summary>
internal sealed class ParsingServiceBinder<TService>(ServiceMethodProviderContext<TService> context, Type serviceBase) : ServiceBinderBase
    where TService : class
{
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
        context.AddUnaryMethod(RequestParsing.Strict(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<ClientStreamingServerMethod<TService, TRequest, TResponse>>(
            method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
        context.AddClientStreamingMethod(RequestParsing.Strict(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<ServerStreamingServerMethod<TService, TRequest, TResponse>>(
            method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        context.AddServerStreamingMethod(RequestParsing.Strict(method), metadata, invoker);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var (invoker, metadata) = Bind<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(
            method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        context.AddDuplexStreamingMethod(RequestParsing.Strict(method), metadata, invoker);
    }

    private (TDelegate Invoker, List<object> Metadata) Bind<TDelegate>(string name, params Type[] parameters)
        where TDelegate : Delegate
    {
        var implementation = Implementation(name, parameters) ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
        var metadata = new List<object>();
        // The service's attributes first, the method's last: the method's win where both say something.
        metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
        metadata.AddRange(implementation.GetCustomAttributes(inherit: true));
        metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
        return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), implementation), metadata);
    }

    /// <summary>The override of the base's virtual method (a method that only hides it does not count), or the base's own.</summary>
    private MethodInfo? Implementation(string name, Type[] parameters)
    {
        for (var type = typeof(TService); type is not null; type = type.BaseType)
        {
            var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters);
            if (method is null)
            {
                return null;
            }

            if (method.IsVirtual && method.GetBaseDefinition().DeclaringType == serviceBase)
            {
                return method;
            }
        }

        return null;
    }
}
