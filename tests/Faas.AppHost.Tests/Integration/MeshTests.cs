using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Faas.AppHost.Resources;
using Faas.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Faas.AppHost.Tests.Integration;

[Collection(MeshCollection.Name)]
public sealed class MeshTests(MeshFixture mesh)
{
    private FaasTestApp App => mesh.App;

    [Fact]
    public async Task All_resources_become_healthy()
    {
        foreach (var name in MeshFixture.AllResources)
        {
            var resource = await App.WaitForResourceHealthyAsync(name);
            Assert.Equal(ResourceState.Running, resource.State);
        }
    }

    [Fact]
    public async Task Every_service_runs_in_its_own_live_process()
    {
        var pids = new List<int>();
        foreach (var name in MeshFixture.Services)
        {
            var resource = await App.WaitForResourceHealthyAsync(name);
            var pid = Assert.NotNull(resource.Pid);
            Assert.True(ProcessTable.IsAlive(pid), $"{name} (pid {pid}) is not alive");
            Assert.NotEqual(Environment.ProcessId, pid);
            pids.Add(pid);
        }

        Assert.Equal(pids.Count, pids.Distinct().Count());
        Assert.Contains("Faas.Gateway.dll", ProcessTable.CommandLine(App.GetResource("gateway").Pid!.Value));
        Assert.Contains("Faas.Runtime.Worker.dll", ProcessTable.CommandLine(App.GetResource("runtime-0").Pid!.Value));
    }

    [Fact]
    public async Task Services_get_aspire_style_environment()
    {
        var scheduler = await App.WaitForResourceHealthyAsync("scheduler");
        var environment = ProcessTable.Environment(scheduler.Pid!.Value);

        Assert.Equal(App.GetEndpoint("sinkmanager", "grpc").ToString().TrimEnd('/'), environment["services__sinkmanager__grpc__0"]);
        Assert.Equal(App.GetConnectionString("redis"), environment["ConnectionStrings__redis"]);
        Assert.Equal(App.GetConnectionString("faasdb"), environment["ConnectionStrings__faasdb"]);
        Assert.Equal("scheduler", environment["OTEL_SERVICE_NAME"]);
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), environment["FAAS_PARENT_PID"]);
    }

    [Fact]
    public async Task Gateway_answers_health_on_its_http_endpoint()
    {
        await App.WaitForResourceHealthyAsync("gateway");
        using var client = App.CreateHttpClient("gateway");

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_faas_database_exists_on_the_local_postgres()
    {
        await using var connection = new NpgsqlConnection(App.GetConnectionString("faasdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);

        Assert.Equal("faas", await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Garnet_answers_the_redis_protocol()
    {
        var address = App.GetConnectionString("redis").Split(':');
        using var client = new TcpClient();
        await client.ConnectAsync(address[0], int.Parse(address[1], System.Globalization.CultureInfo.InvariantCulture));
        var stream = client.GetStream();

        await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray());
        var buffer = new byte[7];
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length);

        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task Dashboard_page_lists_every_resource()
    {
        using var client = App.CreateDashboardClient();

        var html = await client.GetStringAsync(new Uri("/", UriKind.Relative));

        foreach (var name in MeshFixture.AllResources)
        {
            Assert.Contains($"href=\"/resources/{name}\"", html);
        }
    }

    [Fact]
    [Trait("Category", "Security")]
    public async Task Dashboard_refuses_everything_without_its_token_and_the_login_link_signs_a_browser_in()
    {
        var scheduler = App.GetResource("scheduler");
        using var anonymous = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = App.DashboardUri };

        foreach (var path in new[] { "/", "/api/resources", "/resources/gateway", "/api/sinks", "/login?t=guess" })
        {
            using var page = await anonymous.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        }

        using (var restart = await anonymous.PostAsync(new Uri("/api/resources/scheduler/restart", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, restart.StatusCode);
        }

        Assert.Equal((scheduler.Pid, scheduler.Restarts), (App.GetResource("scheduler").Pid, App.GetResource("scheduler").Restarts));
        var token = App.Services.GetRequiredService<Faas.AppHost.Dashboard.DashboardAccess>().Token;
        using var login = await anonymous.GetAsync(new Uri($"/login?t={token}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        using var signedIn = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));
        signedIn.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var home = await anonymous.SendAsync(signedIn);
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
    }

    [Fact]
    public async Task Dashboard_api_lists_every_resource_with_state_and_pid()
    {
        using var client = App.CreateDashboardClient();

        var resources = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/resources", UriKind.Relative));

        var names = resources.EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Equal(MeshFixture.AllResources, names);
        var gateway = resources.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "gateway");
        Assert.Equal("Running", gateway.GetProperty("state").GetString());
        Assert.True(gateway.GetProperty("pid").GetInt32() > 0);
    }

    [Fact]
    public async Task Resource_page_shows_the_tail_of_its_log()
    {
        using var client = App.CreateDashboardClient();

        var html = await client.GetStringAsync(new Uri("/resources/scheduler", UriKind.Relative));

        Assert.Contains("Last 50 log lines", html);
        Assert.Contains("started pid", html);
    }

    [Fact]
    public async Task Unknown_resource_page_is_not_found()
    {
        using var client = App.CreateDashboardClient();

        using var response = await client.GetAsync(new Uri("/resources/nope", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Logs_of_every_resource_go_to_the_state_directory()
    {
        await App.WaitForResourceHealthyAsync("gateway");

        foreach (var name in MeshFixture.AllResources)
        {
            Assert.True(File.Exists(Path.Combine(App.StateDirectory, "logs", name + ".log")), name);
        }
    }

    [Fact]
    public async Task Killed_service_is_restarted()
    {
        var before = await App.WaitForResourceHealthyAsync("runtime-1");
        var oldPid = before.Pid!.Value;

        using (var process = System.Diagnostics.Process.GetProcessById(oldPid))
        {
            process.Kill();
        }

        var after = await App.WaitForResourceAsync("runtime-1", r => r.Pid != oldPid && r.IsHealthy);
        Assert.Equal(before.Restarts + 1, after.Restarts);
        Assert.True(ProcessTable.IsAlive(after.Pid!.Value));
        Assert.False(ProcessTable.IsAlive(oldPid));
    }
}
