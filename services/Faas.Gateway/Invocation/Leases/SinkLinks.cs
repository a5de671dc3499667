using System.Collections.Concurrent;
using Faas.ServiceDefaults.Multiplexing;
using Faas.ServiceDefaults.ServiceIdentity;
using Faas.Sinks.Client;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Invocation.Leases;

/// <summary>The gateway's links to pushed sinks, one per address a lease named (signed with the gateway's service token).</summary>
public sealed class SinkLinks(ServiceTokens tokens, IOptions<MultiplexingOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<(GrpcChannel Channel, SinkLink Link)>> links = new(StringComparer.Ordinal);

    public SinkLink For(string address) => links.GetOrAdd(address, a => new Lazy<(GrpcChannel, SinkLink)>(() =>
    {
        var channel = SinkChannels.For(a, tokens);
        return (channel, new SinkLink(new Protos.V1.PushedSink.PushedSinkClient(channel), options.Value));
    })).Value.Link;

    /// <summary>Nothing answers at the address any more (a sink that left, or restarted on another port): its link goes.</summary>
    public void Forget(string address)
    {
        if (links.TryRemove(address, out var gone) && gone.IsValueCreated)
        {
            gone.Value.Link.Dispose();
            gone.Value.Channel.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var address in links.Keys)
        {
            Forget(address);
        }
    }
}
