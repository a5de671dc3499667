using Faas.ServiceDefaults.ServiceIdentity;
using Grpc.Net.Client;

namespace Faas.Scheduler.Workers;

/// <summary>
/// The runtime workers this scheduler places work on, from Aspire-style service endpoints
/// (services:runtime:grpc:0, :1, ...), called with this service's token.
/// </summary>
public sealed class WorkerDirectory : IDisposable
{
    private readonly List<GrpcChannel> channels = [];

    public WorkerDirectory(IConfiguration configuration, ServiceTokens tokens)
    {
        var endpoints = configuration.GetSection("services:runtime:grpc").GetChildren()
            .OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue)
            .Select(c => c.Value)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .ToList();

        Workers = endpoints.Select((url, i) =>
        {
            var address = new Uri(url!);
            var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new ServiceTokenHandler(tokens)
                {
                    InnerHandler = new SocketsHttpHandler
                    {
                        EnableMultipleHttp2Connections = true,
                        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                    },
                },
                MaxReceiveMessageSize = GrpcClientExtensions.InternalMessageLimit,
                MaxSendMessageSize = GrpcClientExtensions.InternalMessageLimit,
            });
            channels.Add(channel);
            return new Worker($"runtime-{i}", address, channel);
        }).ToList();
    }

    public IReadOnlyList<Worker> Workers { get; }

    public void Dispose()
    {
        foreach (var channel in channels)
        {
            channel.Dispose();
        }
    }
}
