using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Faas.AppHost.Networking;

/// <summary>
/// Finds free loopback ports and never hands the same one out twice in one process: several app hosts in one process,
/// as in a test run, bind what they were given only later, so a port checked free for one must not go to another.
/// Ports are picked at random below the kernel's ephemeral range (<c>net.ipv4.ip_local_port_range</c>) and checked by
/// binding them: a port the kernel hands out for outgoing connections could be taken by one of them between the check
/// and the service's own bind, a port outside that range only by another program that binds it on purpose. Falls back
/// to a kernel-chosen port when that range has no free port or cannot be read.
/// </summary>
public sealed class LoopbackPortAllocator : IPortAllocator
{
    /// <summary>Lowest port handed out: above the registered ports of common local servers.</summary>
    public const int LowestPort = 10_000;

    // Shared by every allocator in the process.
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Lock Gate = new();
    private readonly int _ephemeralStart;

    public LoopbackPortAllocator()
        : this(ReadEphemeralStart())
    {
    }

    /// <param name="ephemeralStart">The first port of the kernel's ephemeral range.</param>
    public LoopbackPortAllocator(int ephemeralStart) => _ephemeralStart = ephemeralStart;

    public int GetFreePort()
    {
        lock (Gate)
        {
            if (_ephemeralStart - LowestPort >= 1_000)
            {
                for (var attempt = 0; attempt < 200; attempt++)
                {
                    var port = Random.Shared.Next(LowestPort, _ephemeralStart);
                    if (!HandedOut.Contains(port) && CanBind(port))
                    {
                        HandedOut.Add(port);
                        return port;
                    }
                }
            }

            for (var attempt = 0; attempt < 100; attempt++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }

            throw new InvalidOperationException("Could not find a free loopback port.");
        }
    }

    private static bool CanBind(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the ephemeral range; 0 (no range to avoid) where it cannot be read.</summary>
    private static int ReadEphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return range.Length >= 1 && int.TryParse(range[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start) ? start : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
