using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Faas.Testing;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// Clients for attacks the typed clients cannot send: connections from another loopback address (all of 127.0.0.0/8 is
/// loopback, so per-address limits can be reached without touching the address other tests share), and raw gRPC frames.
/// </summary>
internal static class LoopbackClients
{
    /// <summary>A fresh address in 127.0.0.0/8 other than 127.0.0.1.</summary>
    public static IPAddress NewSourceAddress() => new([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(2, 255)]);

    /// <summary>A handler whose connections come from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler From(IPAddress source) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// Posts one gRPC frame carrying <paramref name="message"/> as it is (no checks) over HTTP/2 cleartext and returns the
    /// grpc-status and grpc-message the server ended the call with.
    /// </summary>
    public static async Task<(int Status, string Message)> PostRawGrpcAsync(FaasTestApp app, string resource, string path, byte[] message, string? bearer = null)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);

        using var client = new HttpClient(new SocketsHttpHandler()) { BaseAddress = app.GetEndpoint(resource, "grpc") };
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(frame),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await client.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        var status = Header(response, "grpc-status") ?? throw new InvalidOperationException($"No grpc-status (HTTP {(int)response.StatusCode}).");
        return (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(Header(response, "grpc-message") ?? ""));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.TrailingHeaders.TryGetValues(name, out values) ? values.First() : null;
}
