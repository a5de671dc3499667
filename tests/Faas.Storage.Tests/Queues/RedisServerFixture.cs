using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Faas.Storage.Tests.Queues;

/// <summary>
/// A real redis-server (Debian's package, 7.0) on a free loopback port with nothing persisted, started
/// once for the test class and stopped by its own pid. A missing binary fails the tests, never skips them.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private Process? server;
    private string? directory;

    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var executable = FindExecutable()
            ?? throw new InvalidOperationException(
                "redis-server is not installed, so the queue tests cannot run against a real Redis. Install it with `apt-get install -y redis-server` (.ci/run does).");
        var port = FreePort();
        directory = Directory.CreateTempSubdirectory("faas-redis-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", directory })
        {
            start.ArgumentList.Add(argument);
        }

        server = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var output = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        ConnectionString = $"127.0.0.1:{port}";
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (server.HasExited)
            {
                lock (output)
                {
                    throw new InvalidOperationException($"redis-server exited with code {server.ExitCode}: {output}");
                }
            }

            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",connectTimeout=500");
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (server is { HasExited: false })
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        server?.Dispose();
        if (directory is not null)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
