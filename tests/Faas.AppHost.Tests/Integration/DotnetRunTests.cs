using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Faas.AppHost.Hosting;
using Xunit.Abstractions;

namespace Faas.AppHost.Tests.Integration;

/// <summary>
/// The README's command, as a user runs it: <c>dotnet run --project Faas.AppHost</c> brings up the real Aspire AppHost
/// with its dashboard, prints the ready line with the dashboard's login link, and Ctrl+C leaves nothing running.
/// </summary>
[Collection(MeshCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class DotnetRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Dotnet_run_starts_the_mesh_with_the_dashboard_and_ctrl_c_stops_everything()
    {
        var state = Directory.CreateTempSubdirectory("faas-run-").FullName;
        File.SetUnixFileMode(state, File.GetUnixFileMode(state) | UnixFileMode.OtherExecute);
        var (http, grpc, dashboard) = (FreePort(), FreePort(), FreeDashboardPort());
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repository(),
        };
        foreach (var argument in new[]
        {
            "dotnet", "run", "--project", "Faas.AppHost", "--no-build", "--",
            "--state-dir", state, "--workers", "1", "--gateway-http-port", $"{http}", "--gateway-grpc-port", $"{grpc}", "--dashboard-port", $"{dashboard}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        // Not the test host's settings: the AppHost takes its environment from its launch profile, as for a user.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        var lines = new List<string>();
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        using var appHost = Process.Start(start)!;
        void Read(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
            }

            if (line.Contains("Faas is ready: ", StringComparison.Ordinal))
            {
                ready.TrySetResult(line.Trim());
            }
        }

        appHost.OutputDataReceived += (_, e) => Read(e.Data);
        appHost.ErrorDataReceived += (_, e) => Read(e.Data);
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        try
        {
            var line = await ready.Task.WaitAsync(StartLimit);
            output.WriteLine($"ready after {clock.Elapsed.TotalSeconds:0.0} s: {line}");

            Assert.StartsWith($"Faas is ready: REST http://127.0.0.1:{http} · gRPC http://127.0.0.1:{grpc} (HTTP/2 cleartext) · dashboard http://127.0.0.1:{dashboard}/login?t=", line, StringComparison.Ordinal);
            using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
            using (var health = await client.GetAsync(new Uri($"http://127.0.0.1:{http}/health")))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            }

            // The Aspire dashboard: the login link signs in, and without it the dashboard asks for one.
            var login = LoginLink().Match(line).Groups[1].Value;
            using (var signIn = await client.GetAsync(new Uri(login)))
            {
                Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.OK, $"{signIn.StatusCode}");
            }

            using (var anonymous = await client.GetAsync(new Uri($"http://127.0.0.1:{dashboard}/")))
            {
                Assert.True(anonymous.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.Unauthorized, $"{anonymous.StatusCode}");
                Assert.Contains("login", anonymous.Headers.Location?.ToString() ?? "login", StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            // Ctrl+C: SIGINT to the terminal's process group, which the setsid above made of dotnet run and the AppHost.
            _ = Kill(-appHost.Id, 2);
            if (!appHost.WaitForExit(TimeSpan.FromSeconds(90)))
            {
                _ = Kill(-appHost.Id, 9);
            }

            lock (lines)
            {
                output.WriteLine(string.Join(Environment.NewLine, lines.TakeLast(60)));
            }
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (ProcessTable.Mentioning(state).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Empty(ProcessTable.Mentioning(state));
        Directory.Delete(state, recursive: true);
    }

    private static string Repository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Faas.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The repository was not found above the test's folder.");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port whose next two are free as well (the dashboard's OTLP and resource service).</summary>
    private static int FreeDashboardPort()
    {
        while (true)
        {
            var port = FreePort();
            if (port < 65000 && DashboardPorts.For(port).All(p => !PortPreflight.IsInUse(p)))
            {
                return port;
            }
        }
    }

    [GeneratedRegex(@"dashboard (http://\S+/login\?t=\S+)")]
    private static partial Regex LoginLink();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
