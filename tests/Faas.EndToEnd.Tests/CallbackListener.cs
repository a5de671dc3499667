using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Faas.EndToEnd.Tests;

/// <summary>
/// A small HTTP server on a free loopback port that records every callback POSTed to it. The first
/// <c>failFirst</c> requests are answered 500, to exercise the platform's retries; with <c>redirectTo</c> every
/// request is answered 302 to that URL. It listens on <see cref="AllowedAddress"/>, the one loopback address the
/// test mesh lets callbacks reach, unless told another (an attacker's target on the mesh's own loopback address).
/// </summary>
public sealed class CallbackListener : IAsyncDisposable
{
    /// <summary>The address <see cref="MeshFixture"/> allows callbacks to (Callbacks:AllowedDestinations).</summary>
    public const string AllowedAddress = "127.0.0.77";

    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<Received> received = new();
    private readonly Task loop;
    private readonly string? redirectTo;
    private int remainingFailures;

    public CallbackListener(int failFirst = 0, string address = AllowedAddress, string? redirectTo = null)
    {
        remainingFailures = failFirst;
        this.redirectTo = redirectTo;
        var port = FreePort(IPAddress.Parse(address));
        Url = $"http://{address}:{port}/hook";
        listener.Prefixes.Add($"http://{address}:{port}/");
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public IReadOnlyCollection<Received> Requests => received.ToArray();

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        try
        {
            await loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var fail = Interlocked.Decrement(ref remainingFailures) >= 0;
            body = body.Length == 0 ? "{}" : body;
            received.Enqueue(new Received(
                context.Request.HttpMethod, context.Request.Headers["X-Faas-Execution-Id"] ?? "", context.Request.Headers["X-Faas-Delivery-Attempt"] ?? "",
                redirectTo is null ? fail ? 500 : 200 : 302, JsonDocument.Parse(body).RootElement.Clone()));
            context.Response.StatusCode = redirectTo is null ? fail ? 500 : 200 : 302;
            if (redirectTo is not null)
            {
                context.Response.RedirectLocation = redirectTo;
            }

            context.Response.Close();
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var socket = new TcpListener(address, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public sealed record Received(string Method, string ExecutionId, string Attempt, int AnsweredWith, JsonElement Body);
}
