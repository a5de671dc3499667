using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Faas.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Faas.AppHost.Tests.Integration;

[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MeshTests(MeshFixture mesh)
{
    private FaasTestApp App => mesh.App;

    [Fact]
    public async Task All_resources_become_healthy()
    {
        foreach (var name in MeshFixture.AllResources)
        {
            var resource = await App.WaitForResourceHealthyAsync(name);
            Assert.Equal("Running", resource.State);
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
        Assert.Contains("Faas.Worker.dll", ProcessTable.CommandLine(App.GetResource("worker-0").Pid!.Value));
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
        // No dashboard here, so no collector: the service exports nothing rather than failing to.
        Assert.False(environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT"), environment.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT"));
        Assert.Equal(App.State.ServiceKeyFile, environment["ServiceAuth__KeyFile"]);
        Assert.Equal(App.GetEndpoint("scheduler", "grpc").ToString().TrimEnd('/'), environment["Kestrel__Endpoints__grpc__Url"]);
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
    public async Task The_ready_line_names_the_gateways_addresses()
    {
        var line = await App.Services.GetRequiredService<Faas.AppHost.Hosting.ReadyLine>().Line.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(
            $"Faas is ready: REST {App.GetEndpoint("gateway", "http").ToString().TrimEnd('/')} · gRPC {App.GetEndpoint("gateway", "grpc").ToString().TrimEnd('/')} (HTTP/2 cleartext) · dashboard off",
            line);
    }

    [Fact]
    public async Task The_dashboard_shows_sinks_toolchains_and_job_mode_as_resource_properties()
    {
        var worker = await App.WaitForResourceAsync("worker-0", r => r.Properties.GetValueOrDefault("faas.sink.state") == "ONLINE");
        var compiler = await App.WaitForResourceAsync("compiler", r => r.Properties.ContainsKey("faas.toolchain.c"));
        var jobs = await App.WaitForResourceAsync("jobs", r => r.Properties.ContainsKey("faas.jobMode"));

        Assert.StartsWith("push http://127.0.0.1:", worker.Properties["faas.sink.mode"], StringComparison.Ordinal);
        Assert.StartsWith("available: ", compiler.Properties["faas.toolchain.c"], StringComparison.Ordinal);
        Assert.StartsWith("bubblewrap", compiler.Properties["faas.buildSandbox"], StringComparison.Ordinal);
        Assert.Matches("^(available|unavailable): ", jobs.Properties["faas.jobMode"]);
    }

    [Fact]
    public async Task Draining_a_worker_from_the_dashboard_takes_its_sink_out_of_the_membership()
    {
        await App.WaitForResourceAsync("worker-1", r => r.Properties.GetValueOrDefault("faas.sink.state") == "ONLINE");

        var result = await App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.ResourceCommandService>()
            .ExecuteCommandAsync("worker-1", "drain-sink");

        Assert.True(result.Success, result.Message);
        using var admin = App.CreateHttpClient("gateway");
        var sinks = await admin.GetFromJsonAsync<JsonElement>(new Uri("/v1/sinks", UriKind.Relative));
        Assert.DoesNotContain(sinks.GetProperty("sinks").EnumerateArray(), s => s.GetProperty("name").GetString() == "worker-1" && s.GetProperty("state").GetString() == "SINK_ONLINE");
    }

    [Fact]
    public async Task Killed_service_is_restarted()
    {
        var before = await App.WaitForResourceHealthyAsync("worker-1");
        var oldPid = before.Pid!.Value;

        using (var process = System.Diagnostics.Process.GetProcessById(oldPid))
        {
            process.Kill();
        }

        var after = await App.WaitForResourceAsync("worker-1", r => r.Pid != oldPid && r.IsHealthy);
        Assert.Equal(before.Restarts + 1, after.Restarts);
        Assert.True(ProcessTable.IsAlive(after.Pid!.Value));
        Assert.False(ProcessTable.IsAlive(oldPid));
    }
}
