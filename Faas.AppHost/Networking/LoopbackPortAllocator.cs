using System.Net;
using System.Net.Sockets;

namespace Faas.AppHost.Networking;

/// <summary>Asks the kernel for free loopback ports and never hands the same one out twice.</summary>
public sealed class LoopbackPortAllocator : IPortAllocator
{
    private readonly HashSet<int> _handedOut = [];
    private readonly Lock _gate = new();

    public int GetFreePort()
    {
        lock (_gate)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (_handedOut.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException("Could not find a free loopback port.");
        }
    }
}
