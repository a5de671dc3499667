using System.Net;
using System.Net.Sockets;

namespace Faas.Bench.Load;

public static class LoopbackPort
{
    /// <summary>A loopback port nothing listens on now (the process that takes it binds it a moment later).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
