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
[Trait("Category", "Integration")]
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

        // The key of the dashboard's telemetry API (Aspire generates one when it is not given).
        var dashboardApiKey = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        start.Environment["AppHost__DashboardApiKey"] = dashboardApiKey;

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

            using var stranger = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
            using (var anonymous = await stranger.GetAsync(new Uri($"http://127.0.0.1:{dashboard}/")))
            {
                Assert.True(anonymous.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.Unauthorized, $"{anonymous.StatusCode}");
                Assert.Contains("login", anonymous.Headers.Location?.ToString() ?? "login", StringComparison.OrdinalIgnoreCase);
            }

            await One_invoke_is_one_trace_across_the_mesh_in_the_dashboard(client, state, http, dashboard, dashboardApiKey);
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

    /// <summary>
    /// A synchronous invoke, read back from the dashboard's telemetry API (what its Traces view shows): one trace
    /// with spans from the gateway, the scheduler and the worker.
    /// </summary>
    private async Task One_invoke_is_one_trace_across_the_mesh_in_the_dashboard(HttpClient client, string state, int http, int dashboard, string apiKey)
    {
        var token = (await File.ReadAllTextAsync(Path.Combine(state, "admin.key"))).Trim();
        var source = await File.ReadAllTextAsync(Path.Combine(Repository(), "samples", "functions", "wat", "echo.wat"));
        using (var deploy = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{http}/v1/functions?wait=true")))
        {
            deploy.Headers.Authorization = new("Bearer", token);
            deploy.Content = System.Net.Http.Json.JsonContent.Create(new { name = "traced", language = "wat", source });
            using var deployed = await client.SendAsync(deploy);
            Assert.True(deployed.IsSuccessStatusCode, $"{deployed.StatusCode}: {await deployed.Content.ReadAsStringAsync()}");
        }

        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var callerSpanId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        using (var invoke = new HttpRequestMessage(HttpMethod.Post, new Uri($"http://127.0.0.1:{http}/v1/functions/traced:invoke")))
        {
            invoke.Headers.Authorization = new("Bearer", token);
            invoke.Headers.Add("traceparent", $"00-{traceId}-{callerSpanId}-01");
            invoke.Content = new StringContent("hello");
            using var invoked = await client.SendAsync(invoke);
            Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
            Assert.Equal("hello", await invoked.Content.ReadAsStringAsync());
        }

        // Without the key the telemetry API answers nothing.
        using var stranger = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        using (var anonymous = await stranger.GetAsync(new Uri($"http://127.0.0.1:{dashboard}/api/telemetry/traces/{traceId}")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        // Services export in batches (every 5 s): the trace fills in over a few seconds. Read until every service has
        // shown its part and one more export has passed.
        var expected = new[] { "gateway", "scheduler", "worker-0" };
        var services = new HashSet<string>(StringComparer.Ordinal);
        var spans = new List<string>();
        DateTime? settled = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && (settled is null || DateTime.UtcNow < settled))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{dashboard}/api/telemetry/traces/{traceId}"));
            request.Headers.Add("x-api-key", apiKey);
            using var response = await client.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                using var trace = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                services.Clear();
                spans.Clear();
                Collect(trace.RootElement, services, spans, traceId);
                if (settled is null && expected.All(services.Contains))
                {
                    settled = DateTime.UtcNow + TimeSpan.FromSeconds(6);
                }
            }

            await Task.Delay(500);
        }

        output.WriteLine($"trace {traceId}: services {string.Join(", ", services)}; spans {string.Join(" | ", spans)}");
        foreach (var service in expected)
        {
            Assert.Contains(service, services);
        }

        // The gateway's server span is the child of the caller's: the trace starts where the request came in.
        Assert.Contains(spans, span => span.StartsWith("gateway: ", StringComparison.Ordinal) && span.EndsWith($" <- {callerSpanId}", StringComparison.Ordinal));
    }

    /// <summary>Walks OTLP JSON: each resource's <c>service.name</c> that has spans of the trace, and the spans' names.</summary>
    private static void Collect(System.Text.Json.JsonElement element, HashSet<string> services, List<string> spans, string traceId)
    {
        if (element.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, services, spans, traceId);
            }

            return;
        }

        if (element.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            return;
        }

        if (element.TryGetProperty("resource", out var resource) && element.TryGetProperty("scopeSpans", out var scopeSpans))
        {
            var name = resource.TryGetProperty("attributes", out var attributes)
                ? attributes.EnumerateArray()
                    .Where(a => a.GetProperty("key").GetString() == "service.name")
                    .Select(a => a.GetProperty("value").GetProperty("stringValue").GetString())
                    .FirstOrDefault()
                : null;
            var ofTrace = scopeSpans.EnumerateArray()
                .SelectMany(scope => scope.TryGetProperty("spans", out var list) ? list.EnumerateArray() : Enumerable.Empty<System.Text.Json.JsonElement>())
                .Where(span => string.Equals(span.GetProperty("traceId").GetString(), traceId, StringComparison.OrdinalIgnoreCase))
                .Select(span => $"{name}: {span.GetProperty("name").GetString()}"
                    + (span.TryGetProperty("parentSpanId", out var parent) && parent.GetString() is { Length: > 0 } parentId ? $" <- {parentId.ToLowerInvariant()}" : ""))
                .ToList();
            if (name is not null && ofTrace.Count > 0)
            {
                services.Add(name);
                spans.AddRange(ofTrace);
            }

            return;
        }

        foreach (var property in element.EnumerateObject())
        {
            Collect(property.Value, services, spans, traceId);
        }
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
