using System.Net;
using System.Net.Sockets;
using Faas.ServiceDefaults.Destinations;
using Microsoft.Extensions.DependencyInjection;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Faas.Scheduler.Tests;

/// <summary>
/// Where a tenant's callback may lead. Classification needs no traffic; every connection these tests make goes to
/// a listener of their own on loopback, which is allowed only where a test says so.
/// </summary>
[Trait("Category", "Security")]
public sealed class CallbackDestinationTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.255.0.9", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.0.1", "private")]
    [InlineData("fd00:ec2::254", "unique local (private)")]
    [InlineData("169.254.169.254", "link-local (cloud metadata)")]
    [InlineData("::ffff:169.254.169.254", "link-local (cloud metadata)")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("100.100.100.200", "shared (carrier-grade NAT)")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("2002:a9fe:a9fe::", "link-local (cloud metadata)")]
    public void Non_public_addresses_are_classified_with_their_range(string address, string range)
    {
        Assert.Equal(range, AddressRanges.NonPublicRange(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_not_classified(string address)
    {
        Assert.Null(AddressRanges.NonPublicRange(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000/hook")]
    [InlineData("http://[::1]:9000/hook")]
    [InlineData("http://[::ffff:127.0.0.1]:9000/hook")]
    [InlineData("http://2130706433:9000/hook")]
    [InlineData("http://0x7f.1:9000/hook")]
    [InlineData("http://127.1:9000/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://localhost:9000/hook")]
    [InlineData("http://LOCALHOST.:9000/hook")]
    [InlineData("http://dashboard.localhost:9000/hook")]
    [InlineData("http://10.0.0.7/hook")]
    public void Literal_internal_destinations_are_refused_without_resolving(string url)
    {
        var policy = Policy();

        Assert.Equal(DestinationPolicy.RefusedMessage, policy.CheckLiteral(new Uri(url)));
    }

    [Theory]
    [InlineData("http://93.184.216.34/hook")]
    [InlineData("https://hooks.example.com/hook")]
    public void Public_and_named_destinations_pass_the_literal_check(string url)
    {
        Assert.Null(Policy().CheckLiteral(new Uri(url)));
    }

    [Theory]
    [InlineData("127.0.0.1:9000", "127.0.0.1", 9000, true)]
    [InlineData("127.0.0.1:9000", "127.0.0.1", 9001, false)]
    [InlineData("127.0.0.77", "127.0.0.77", 1234, true)]
    [InlineData("127.0.0.77", "127.0.0.1", 1234, false)]
    [InlineData("10.0.0.0/8", "10.200.1.1", 443, true)]
    [InlineData("10.0.0.0/8:443", "10.200.1.1", 80, false)]
    [InlineData("[::1]:9000", "::1", 9000, true)]
    [InlineData("[fd00::/8]:443", "fd12::1", 443, true)]
    [InlineData("::1", "::ffff:127.0.0.1", 80, false)]
    public void An_operator_allows_specific_destinations(string entry, string address, int port, bool allowed)
    {
        Assert.Equal(allowed, Policy(entry).Allows(IPAddress.Parse(address), port));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:http")]
    [InlineData("10.0.0.0/33")]
    [InlineData("[::1")]
    public void A_malformed_allowed_destination_stops_the_service_at_start(string entry)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["Callbacks:AllowedDestinations:0"] = entry;
        builder.AddCallbackDestinations();
        using var host = builder.Build();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CallbackDestinationOptions>>().Value);
        Assert.Contains("AllowedDestinations", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_connect_time_and_nothing_connects()
    {
        using var target = new LoopbackTarget();
        // Accepted while it resolved to a public address; by delivery it resolves to the mesh's loopback.
        var policy = Policy(resolve: (_, _) => Task.FromResult(new[] { IPAddress.Loopback }));
        Assert.Null(policy.CheckLiteral(new Uri($"http://rebind.example:{target.Port}/hook")));
        using var client = Client(policy);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync($"http://rebind.example:{target.Port}/hook", new StringContent("{}")));

        Assert.True(error is DestinationRefusedException || error.InnerException is DestinationRefusedException, error.ToString());
        Assert.Equal(0, target.Connections);
    }

    [Fact]
    public async Task A_name_with_one_internal_and_one_allowed_address_connects_only_to_the_allowed_one()
    {
        using var target = new LoopbackTarget(IPAddress.Parse("127.0.0.78"));
        using var forbidden = new LoopbackTarget(IPAddress.Loopback, target.Port);
        var policy = Policy("127.0.0.78", (_, _) => Task.FromResult(new[] { IPAddress.Loopback, IPAddress.Parse("127.0.0.78") }));
        using var client = Client(policy);

        using var response = await client.PostAsync($"http://both.example:{target.Port}/hook", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, target.Connections);
        Assert.Equal(0, forbidden.Connections);
    }

    [Fact]
    public async Task A_closed_port_and_a_filtered_port_read_the_same()
    {
        int closedPort;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        // A listener whose backlog is full and that never accepts: further SYNs go unanswered, as behind a firewall.
        using var filtered = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        filtered.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        filtered.Listen(0);
        var filteredPort = ((IPEndPoint)filtered.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(new IPEndPoint(IPAddress.Loopback, filteredPort));
            }
            catch (SocketException)
            {
            }

            fillers.Add(filler);
        }

        var policy = Policy("127.0.0.1", connectTimeout: TimeSpan.FromSeconds(1));
        using var client = Client(policy);
        try
        {
            var closed = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{closedPort}/"));
            var silent = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{filteredPort}/"));

            Assert.Equal(DestinationPolicy.UnreachableMessage, Innermost(closed).Message);
            Assert.Equal(DestinationPolicy.UnreachableMessage, Innermost(silent).Message);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    private static HttpRequestException Innermost(HttpRequestException error) =>
        error.InnerException is HttpRequestException inner ? Innermost(inner) : error;

    private static DestinationPolicy Policy(string? allowed = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null, TimeSpan? connectTimeout = null)
    {
        var options = new CallbackDestinationOptions { ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5) };
        if (allowed is not null)
        {
            options.AllowedDestinations.Add(allowed);
        }

        return new DestinationPolicy(MsOptions.Create(options), resolve ?? ((_, _) => throw new InvalidOperationException("No name resolution in this test.")));
    }

    private static HttpClient Client(DestinationPolicy policy) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, ConnectCallback = policy.ConnectAsync });

    /// <summary>A loopback listener that answers 200 to anything and counts the connections it accepted.</summary>
    private sealed class LoopbackTarget : IDisposable
    {
        private readonly TcpListener listener;
        private readonly CancellationTokenSource stop = new();
        private int connections;

        public LoopbackTarget(IPAddress? address = null, int port = 0)
        {
            listener = new TcpListener(address ?? IPAddress.Loopback, port);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _ = ServeAsync();
        }

        public int Port { get; }

        public int Connections => Volatile.Read(ref connections);

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            stop.Dispose();
        }

        private async Task ServeAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                Interlocked.Increment(ref connections);
                _ = AnswerAsync(client);
            }
        }

        private static async Task AnswerAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer);
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            }
        }
    }
}
