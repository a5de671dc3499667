using Microsoft.Extensions.DependencyInjection;
using Faas.ServiceDefaults.ServiceIdentity;
using Grpc.Net.Client;

namespace Faas.Sinks.Client;

/// <summary>The channel a Faas service calls a pushed sink on: signed with the service's token, one HTTP/2 pool kept open.</summary>
public static class SinkChannels
{
    public static GrpcChannel For(string address, ServiceTokens tokens) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new ServiceTokenHandler(tokens)
        {
            InnerHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
        },
        MaxReceiveMessageSize = GrpcClientExtensions.InternalMessageLimit,
        MaxSendMessageSize = GrpcClientExtensions.InternalMessageLimit,
    });
}
