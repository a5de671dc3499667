using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Faas.Mesh.Tests;

/// <summary>
/// A small HTTP server on a free loopback port that records every callback POSTed to it. The first
/// <c>failFirst</c> requests are answered 500, to exercise the platform's retries.
/// </summary>
public sealed class CallbackListener : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<Received> received = new();
    private readonly Task loop;
    private int remainingFailures;

    public CallbackListener(int failFirst = 0)
    {
        remainingFailures = failFirst;
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/hook";
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
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
            received.Enqueue(new Received(
                context.Request.HttpMethod, context.Request.Headers["X-Faas-Execution-Id"] ?? "", context.Request.Headers["X-Faas-Delivery-Attempt"] ?? "",
                fail ? 500 : 200, JsonDocument.Parse(body).RootElement.Clone()));
            context.Response.StatusCode = fail ? 500 : 200;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public sealed record Received(string Method, string ExecutionId, string Attempt, int AnsweredWith, JsonElement Body);
}
