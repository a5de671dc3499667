namespace Faas.ServiceDefaults.Destinations;

/// <summary>
/// Where tenant-chosen URLs (callbacks) may lead, bound from the <c>Callbacks</c> section by the gateway (which
/// checks literal addresses at enqueue) and the scheduler (which checks every address it connects to).
/// </summary>
public sealed class CallbackDestinationOptions
{
    public const string SectionName = "Callbacks";

    /// <summary>
    /// Destinations allowed although they are loopback, private, link-local or otherwise not public: an address
    /// (<c>10.1.2.3</c>, <c>::1</c>), a network (<c>10.0.0.0/8</c>, <c>fd00::/8</c>), each optionally with one port
    /// (<c>127.0.0.1:9000</c>, <c>10.0.0.0/8:443</c>, <c>[::1]:9000</c>, <c>[fd00::/8]:443</c>). Empty by default:
    /// only public addresses are reached.
    /// </summary>
    public IList<string> AllowedDestinations { get; } = [];

    /// <summary>
    /// How long a connection to a destination may take. A closed port and a filtered one both end as the same
    /// "could not connect" after at most this long, so the recorded error is no port scanner.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
