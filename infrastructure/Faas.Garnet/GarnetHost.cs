using System.Globalization;
using Garnet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Garnet;

/// <summary>Runs one GarnetServer for the life of the process: loopback, Lua on, an append-only file when it has a folder.</summary>
internal sealed partial class GarnetHost(IOptions<GarnetHostOptions> options, ILoggerFactory loggerFactory, ILogger<GarnetHost> logger) : IHostedService, IDisposable
{
    private GarnetServer? server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var arguments = Arguments(options.Value);
        server = new GarnetServer(arguments, loggerFactory);
        server.Start();
        LogStarted(logger, options.Value.Bind, options.Value.Port, options.Value.DataDirectory ?? "(memory only)");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        server?.Dispose();
        server = null;
    }

    internal static string[] Arguments(GarnetHostOptions options)
    {
        var arguments = new List<string>
        {
            "--bind", options.Bind,
            "--port", options.Port.ToString(CultureInfo.InvariantCulture),
            "--lua", "true",
            // Each script locks the keys it declares and runs as one transaction, also in the append-only file: without
            // it Garnet interleaves the commands of scripts from different connections and logs them one by one, so a
            // queue's message could be moved halfway (in two places, or none) by a race or by a kill.
            "--lua-transaction-mode", "true",
            "-q",
            // The managed file device: the native one needs libaio, and a failed load kills the process.
            "--device-type", "RandomAccess",
        };

        if (!string.IsNullOrEmpty(options.DataDirectory))
        {
            Directory.CreateDirectory(options.DataDirectory);
            // Every write goes to the AOF, committed per operation (an enqueue is answered after a COMMITAOF, see
            // ReliableQueue); --recover replays the file at the next start.
            arguments.AddRange(["--aof", "--aof-commit-freq", "0", "--recover", "--checkpointdir", options.DataDirectory]);
        }

        return [.. arguments];
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Garnet listens on {Bind}:{Port}; data: {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, string bind, int port, string dataDirectory);
}
