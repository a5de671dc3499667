using System.Net;
using System.Net.Sockets;
using Faas.Protos.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Faas.Scheduler.Tests;

/// <summary>
/// A worker that dies and comes back on the same loopback address (as the AppHost restarts it) registers anew: the
/// scheduler calls it at once, over real sockets, however long it failed to connect while the worker was down.
/// </summary>
public sealed class SinkReconnectTests : IAsyncLifetime
{
    private readonly Sinks.SinkView view = TestSinks.View();
    private WebApplication? worker;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        view.Dispose();
        if (worker is not null)
        {
            await worker.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_worker_that_registers_again_on_its_address_is_called_at_once()
    {
        var port = FreeLoopbackPort();
        var down = Registration("first", port);
        view.Members(down);

        // Nothing listens for five seconds: every call fails without reaching a worker, as while one restarts.
        var failingSince = DateTime.UtcNow;
        while (DateTime.UtcNow - failingSince < TimeSpan.FromSeconds(5))
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(view.Named("w")));
            Assert.True(SinkContract.NeverReached(error), error.ToString());
            await Task.Delay(200);
        }

        worker = await StartWorkerAsync(port);
        view.Members(Registration("second", port));

        var response = await CallAsync(view.Named("w"));

        Assert.Equal("ran exec-1", response.Output.ToStringUtf8());
    }

    private static SinkInfo Registration(string sinkId, int port)
    {
        var info = TestSinks.Info("w");
        info.SinkId = sinkId;
        info.PushAddress = $"http://127.0.0.1:{port}";
        return info;
    }

    private static Task<ExecuteResponse> CallAsync(Sinks.Sink sink) => sink.Link!.ExecuteAsync(
        new ExecuteRequest { Function = new FunctionSpec { Name = "f" }, Payload = ByteString.CopyFromUtf8("x"), ExecutionId = "exec-1" },
        DateTime.UtcNow.AddSeconds(10), CancellationToken.None);

    private static async Task<WebApplication> StartWorkerAsync(int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<UnaryWorker>();
        await app.StartAsync();
        return app;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A worker with the unary call only (the link falls back to it): answers which execution it ran.</summary>
    private sealed class UnaryWorker : PushedSink.PushedSinkBase
    {
        public override Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context) =>
            Task.FromResult(new ExecuteResponse { Output = ByteString.CopyFromUtf8("ran " + request.ExecutionId), Outcome = ExecutionOutcome.Ok });
    }
}
