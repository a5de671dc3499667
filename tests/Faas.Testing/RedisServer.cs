using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Faas.Testing;

/// <summary>
/// A real redis-server (Debian's package) on a free loopback port with nothing persisted, stopped by its own pid at
/// dispose. A missing binary fails the test, never skips it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process server;
    private readonly string directory;

    private RedisServer(Process server, string directory, string connectionString)
    {
        this.server = server;
        this.directory = directory;
        ConnectionString = connectionString;
    }

    /// <summary><c>127.0.0.1:port</c>, StackExchange.Redis syntax.</summary>
    public string ConnectionString { get; }

    public static async Task<RedisServer> StartAsync()
    {
        var executable = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed; install it with `apt-get install -y redis-server` (.ci/run does).");
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var directory = Directory.CreateTempSubdirectory("faas-redis-").FullName;
        var start = new ProcessStartInfo(executable) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", directory })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new RedisServer(process, directory, $"127.0.0.1:{port}");
        var started = Stopwatch.GetTimestamp();
        while (!await server.AnswersPingAsync(port))
        {
            if (process.HasExited || Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
            {
                await server.DisposeAsync();
                lock (output)
                {
                    throw new InvalidOperationException($"redis-server did not start: {output}");
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!server.HasExited)
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }

        server.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private async Task<bool> AnswersPingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray());
            var buffer = new byte[7];
            return await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false) == 7 && Encoding.ASCII.GetString(buffer) == "+PONG\r\n";
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
