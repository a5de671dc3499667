using System.Net;
using System.Net.Sockets;
using Faas.AppHost.Hosting;
using Faas.Testing;
using Npgsql;

namespace Faas.AppHost.Tests.Integration;

/// <summary>Tests that need a mesh of their own: they start it and take it down.</summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LifecycleTests
{
    [Fact]
    public async Task Disposing_the_app_stops_every_process_and_postgres()
    {
        var app = await FaasTestingBuilder.Create(o => o.Workers = 1).BuildAsync();
        int[] pids;
        string state;
        try
        {
            await app.StartAsync();
            state = app.StateDirectory;
            pids = [.. app.GetResources().Select(r => r.Pid!.Value)];
            Assert.Equal(8, pids.Length); // garnet, postmaster (through runuser as root), sinkmanager, worker-0, jobs, scheduler, compiler, gateway
            Assert.All(pids, pid => Assert.True(ProcessTable.IsAlive(pid), $"pid {pid} should be running"));
            Assert.True(File.Exists(Path.Combine(state, "postgres", "postmaster.pid")));
        }
        finally
        {
            await app.DisposeAsync();
        }

        Assert.All(pids, pid => Assert.False(ProcessTable.IsAlive(pid), $"pid {pid} is still running: {TryCommandLine(pid)}"));
        Assert.Empty(ProcessTable.Mentioning(state));
        Assert.False(Directory.Exists(state));
    }

    [Fact]
    public async Task Infrastructure_only_starts_garnet_and_postgres_and_no_service()
    {
        await using var app = await FaasTestingBuilder.Create(o => o.InfrastructureOnly = true).BuildAsync();

        await app.StartAsync();

        Assert.Equal(["postgres", "redis"], app.GetResources().Select(r => r.Name).Order());
        Assert.All(app.GetResources(), r => Assert.True(r.IsHealthy, $"{r.Name} should be healthy"));
        await using var connection = new NpgsqlConnection(app.GetConnectionString("faasdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        Assert.Equal(1, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_taken_port_stops_the_start_with_a_clear_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var error = await Assert.ThrowsAsync<AppHostConfigurationException>(
            () => FaasTestingBuilder.Create(o => o.ConfigureAppHost = a => a.GatewayGrpcPort = port).BuildAsync());

        Assert.Contains($"Port {port}", error.Message);
        Assert.Contains("--gateway-grpc-port", error.Message);
    }

    private static string TryCommandLine(int pid)
    {
        try
        {
            return ProcessTable.CommandLine(pid);
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
