using System.Diagnostics;
using System.Net.Sockets;
using Faas.Bench.Load;
using Faas.Testing;

namespace Faas.Bench;

/// <summary>
/// Relays (<c>bench/Faas.Bench.Relay</c>) in a row in front of a worker, each its own process like the services: a
/// unary <c>Execute</c> to the first goes on a multiplexed stream to the next, and from the last on another to the
/// worker. One relay is the path and link of gateway → worker, two those of gateway → scheduler → worker, with none of
/// their work. What that path costs bounds what any mesh with these hops can reach against the floor.
/// </summary>
public sealed class RelayChain : IAsyncDisposable
{
    private readonly List<Process> processes = [];

    private RelayChain()
    {
    }

    /// <summary>The first relay's gRPC address.</summary>
    public Uri Front { get; private set; } = null!;

    /// <summary>The relays' processes, to charge them the CPU they spend.</summary>
    public IReadOnlyList<int> ProcessIds => [.. processes.Select(p => p.Id)];

    /// <param name="relays">How many relays in a row: 1, the hop of gateway → worker, by default.</param>
    public static async Task<RelayChain> StartAsync(
        FaasTestApp app, string worker, BenchOptions options, int relays = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(relays, 1);
        var chain = new RelayChain();
        try
        {
            // From the last relay (next to the worker) to the first.
            var next = app.GetEndpoint(worker, "grpc");
            foreach (var name in Enumerable.Range(0, relays).Reverse().Select(i => $"relay-{i}"))
            {
                next = await chain.StartRelayAsync(name, next, app.State.ServiceKeyFile, options, cancellationToken);
            }

            chain.Front = next;
            return chain;
        }
        catch
        {
            await chain.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync(CancellationToken.None);
            process.Dispose();
        }
    }

    private async Task<Uri> StartRelayAsync(string name, Uri next, string serviceKeyFile, BenchOptions options, CancellationToken cancellationToken)
    {
        var port = LoopbackPort.Free();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Faas.Bench.Relay.dll") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // As the AppHost runs the services.
        start.Environment["DOTNET_ENVIRONMENT"] = BenchMesh.EnvironmentName;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = BenchMesh.EnvironmentName;
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        start.Environment["OTEL_SERVICE_NAME"] = name;
        foreach (var (key, value) in options.ServiceEnvironment)
        {
            start.Environment[key] = value;
        }

        start.Environment["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{port}";
        start.Environment["Kestrel__Endpoints__grpc__Protocols"] = "Http2";
        start.Environment["Relay__Next"] = next.ToString();
        start.Environment["ServiceAuth__KeyFile"] = serviceKeyFile;

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
        processes.Add(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, cancellationToken);
                return new Uri($"http://127.0.0.1:{port}");
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        throw new InvalidOperationException($"{name} is not listening on port {port}{(process.HasExited ? $" (exited with {process.ExitCode})" : "")}.");
    }
}
