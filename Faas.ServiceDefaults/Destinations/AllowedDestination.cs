using System.Globalization;
using System.Net;

namespace Faas.ServiceDefaults.Destinations;

/// <summary>One entry of <see cref="CallbackDestinationOptions.AllowedDestinations"/>: a network and, optionally, one port.</summary>
public sealed record AllowedDestination(IPNetwork Network, int? Port)
{
    public bool Allows(IPAddress address, int port) =>
        (Port is null || Port == port) && Network.Contains(Unmapped(address));

    /// <summary>Parses <c>address</c>, <c>network/prefix</c>, <c>address:port</c>, <c>network/prefix:port</c>, <c>[v6]:port</c>, <c>[v6/prefix]:port</c>.</summary>
    public static bool TryParse(string text, out AllowedDestination destination)
    {
        destination = null!;
        var value = text.Trim();
        string host;
        string? port = null;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = value[1..close];
            var rest = value[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':'))
                {
                    return false;
                }

                port = rest[1..];
            }
        }
        else if (value.Count(c => c == ':') == 1)
        {
            // IPv4 with a port (an IPv6 address has more colons and needs brackets to carry one).
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            host = value[..colon];
            port = value[(colon + 1)..];
        }
        else
        {
            host = value;
        }

        int? parsedPort = null;
        if (port is not null)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                return false;
            }

            parsedPort = number;
        }

        if (!host.Contains('/', StringComparison.Ordinal))
        {
            if (!IPAddress.TryParse(host, out var single))
            {
                return false;
            }

            host = $"{single}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}";
        }

        if (!IPNetwork.TryParse(host, out var network))
        {
            return false;
        }

        destination = new AllowedDestination(network, parsedPort);
        return true;
    }

    internal static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
