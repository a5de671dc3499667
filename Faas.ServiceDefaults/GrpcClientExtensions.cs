namespace Microsoft.Extensions.DependencyInjection;

public static class GrpcClientExtensions
{
    /// <summary>Messages between the services carry payloads, outputs and modules; the public edge enforces the real limits.</summary>
    public const int InternalMessageLimit = 64 * 1024 * 1024;

    /// <summary>
    /// A gRPC client to another Faas service, addressed through service discovery (e.g.
    /// <c>http://_grpc.scheduler</c> reads <c>services__scheduler__grpc__0</c>): HTTP/2 with several
    /// connections under load, keep-alive pings, internal message limits, this service's token on every call
    /// (see <see cref="Hosting.ServiceAuthentication"/>), and no HTTP resilience handler (calls are not
    /// blindly retried; deadlines come from the caller).
    /// </summary>
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers: the documented way to opt one client out of the defaults.
    public static IHttpClientBuilder AddInternalGrpcClient<TClient>(this IServiceCollection services, Uri address) where TClient : class =>
        services.AddGrpcClient<TClient>(o => o.Address = address)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            })
            .ConfigureChannel(o =>
            {
                o.MaxReceiveMessageSize = InternalMessageLimit;
                o.MaxSendMessageSize = InternalMessageLimit;
            })
            .AddHttpMessageHandler<Faas.ServiceDefaults.ServiceIdentity.ServiceTokenHandler>()
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
}
