using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Faas.ServiceDefaults.Destinations;

/// <summary>
/// Decides whether a tenant-chosen URL may be reached, and connects to it only through an address that may: a
/// public one, or one an operator allowed (<see cref="CallbackDestinationOptions"/>). Names are resolved at
/// connect time by <see cref="ConnectAsync"/> and the connection goes to an address just checked, so a name that
/// resolves to a public address when the URL is accepted and to an internal one later (DNS rebinding) reaches
/// nothing. Failures read the same whether a port is closed or filtered.
/// </summary>
public sealed class DestinationPolicy
{
    /// <summary>What a refused destination is told: which setting would allow it, never what is behind it.</summary>
    public const string RefusedMessage =
        "The callback destination is not a public address; an operator may allow it with Callbacks:AllowedDestinations.";

    /// <summary>What every failed connection to an allowed destination is told, whatever the reason.</summary>
    public const string UnreachableMessage = "Could not connect to the callback destination.";

    private readonly IReadOnlyList<AllowedDestination> allowed;
    private readonly TimeSpan connectTimeout;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> resolve;

    public DestinationPolicy(IOptions<CallbackDestinationOptions> options)
        : this(options, Dns.GetHostAddressesAsync)
    {
    }

    /// <param name="resolve">Name resolution; tests give their own.</param>
    public DestinationPolicy(IOptions<CallbackDestinationOptions> options, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        ArgumentNullException.ThrowIfNull(options);
        allowed = [.. options.Value.AllowedDestinations.Select(Parse)];
        connectTimeout = options.Value.ConnectTimeout;
        this.resolve = resolve;
    }

    public bool Allows(IPAddress address, int port) =>
        AddressRanges.NonPublicRange(address) is null || allowed.Any(a => a.Allows(address, port));

    /// <summary>
    /// What is wrong with a URL that can be told without resolving it: an address literal (in any of the forms
    /// URL parsers accept) that is not allowed, or a name under <c>localhost</c>. Null when it may be tried.
    /// </summary>
    public string? CheckLiteral(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(url.IdnHost, out var address))
        {
            return Allows(address, url.Port) ? null : RefusedMessage;
        }

        var host = url.IdnHost.TrimEnd('.');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            ? RefusedMessage
            : null;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the name, keeps the addresses that may be
    /// reached, and connects to the first that answers. Throws <see cref="DestinationRefusedException"/> when
    /// none may, <see cref="HttpRequestException"/> with <see cref="UnreachableMessage"/> when none answers.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolve(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            throw new HttpRequestException(HttpRequestError.NameResolutionError, "The callback destination's name could not be resolved.");
        }

        var permitted = addresses.Where(a => Allows(a, port)).ToArray();
        if (permitted.Length == 0)
        {
            throw new DestinationRefusedException();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        foreach (var address in permitted)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException)
            {
                socket.Dispose();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                break;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        // Refused, unreachable and timed out all read the same.
        throw new HttpRequestException(HttpRequestError.ConnectionError, UnreachableMessage);
    }

    private static AllowedDestination Parse(string entry) =>
        AllowedDestination.TryParse(entry, out var destination)
            ? destination
            : throw new OptionsValidationException(CallbackDestinationOptions.SectionName, typeof(CallbackDestinationOptions),
                [$"{CallbackDestinationOptions.SectionName}:AllowedDestinations has '{entry}', which is not an address or network with an optional port (10.0.0.0/8, 127.0.0.1:9000, [::1]:9000)."]);
}

/// <summary>A tenant-chosen destination that resolves only to addresses that may not be reached.</summary>
public sealed class DestinationRefusedException() : HttpRequestException(HttpRequestError.ConnectionError, DestinationPolicy.RefusedMessage);
