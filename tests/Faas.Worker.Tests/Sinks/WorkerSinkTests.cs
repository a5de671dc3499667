using Faas.Protos.V1;
using Faas.Wasm.Modules;
using Faas.Sinks.Client;
using Faas.Sinks.Client.Tests;
using Faas.Wasm.Tests;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Faas.Worker.Tests.Sinks;

/// <summary>The worker registering with a (fake) sink manager: pushed to, pulling, or not registering at all.</summary>
[Collection(WasmCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WorkerSinkTests(WasmFixture runtime) : IAsyncLifetime
{
    private readonly string cacheDirectory = Directory.CreateTempSubdirectory("faas-worker-sink-cache-").FullName;
    private FakeSinkManagerHost sinkManager = null!;
    private WebApplication? app;

    private FakeSinkManager Manager => sinkManager.Manager;

    public async Task InitializeAsync() => sinkManager = await FakeSinkManagerHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        await sinkManager.DisposeAsync();
        Directory.Delete(cacheDirectory, recursive: true);
    }

    private async Task<WebApplication> StartWorkerAsync(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Worker:WorkerId"] = "worker-under-test";
        builder.Configuration["Worker:Slots"] = "2";
        builder.Configuration["Worker:CacheDirectory"] = cacheDirectory;
        builder.Configuration["Sink:InitialRetryDelay"] = "00:00:00.02";
        builder.Configuration["Sink:MaxRetryDelay"] = "00:00:00.2";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(runtime.Engine);
        builder.Services.AddSingleton(runtime.Ticker);
        builder.Services.AddSingleton<IModuleSource>(new NoModules());
        builder.Services.AddGrpc();
        builder.Services.AddHealthChecks();
        builder.AddWorker();
        app = builder.Build();
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task Without_a_sink_manager_the_worker_does_not_register()
    {
        var worker = await StartWorkerAsync(new Dictionary<string, string?>());

        Assert.Null(worker.Services.GetService<SinkAgent>());
        Assert.False(Faas.Worker.Sinks.WorkerSink.PullsTasks(worker.Configuration));
    }

    [Fact]
    public async Task A_pushed_worker_registers_its_capacity_and_heartbeats_its_load()
    {
        var worker = await StartWorkerAsync(new Dictionary<string, string?>
        {
            ["services:sinkmanager:grpc:0"] = sinkManager.Address.ToString(),
            ["Sink:Credential"] = FakeSinkManager.Credential,
            ["Sink:PushAddress"] = "http://127.0.0.1:5302",
        });
        var agent = worker.Services.GetRequiredService<SinkAgent>();

        await Eventually.TrueAsync(() => !Manager.Heartbeats.IsEmpty, "the worker heartbeat");

        var registration = Assert.Single(Manager.Registrations);
        Assert.Equal("worker-under-test", registration.Name);
        Assert.Equal("http://127.0.0.1:5302", registration.PushAddress);
        Assert.Equal(2u, registration.Capacity.Slots);
        Assert.Equal(4096u, registration.Capacity.MemoryMb);
        Assert.Equal(4096u, registration.Capacity.MaxFunctionMemoryMb);
        Assert.Equal(["wasm"], registration.Capacity.Runtimes);
        Assert.Equal([ExecutionMode.Warm], registration.Capacity.Modes);
        Assert.Equal("worker", registration.Labels["kind"]);
        Assert.True(Manager.Heartbeats.First().Request.Load.MemoryBytes > 0);
        Assert.False(agent.Pulls);
        Assert.Equal(0, Manager.PullsOpened);
        var health = await worker.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries[SinkRegistrationHealthCheck.Name].Status);
    }

    [Fact]
    public async Task A_pulling_worker_runs_its_tasks_with_modules_from_the_sink_manager()
    {
        var wasm = TestModules.Wasm("echo");
        var sha256 = ModuleHash.Of(wasm);
        Manager.Artifacts[sha256] = wasm;
        await StartWorkerAsync(new Dictionary<string, string?>
        {
            ["Sink:SinkManager"] = sinkManager.Address.ToString(),
            ["Sink:Credential"] = FakeSinkManager.Credential,
            ["Sink:Pull"] = "true",
            ["Sink:MemoryMb"] = "1024",
        });
        await Eventually.TrueAsync(() => Manager.OpenPulls == 1, "the worker opened its task stream");

        await Manager.Tasks.Writer.WriteAsync(new SinkTask
        {
            TaskId = "t1",
            ExecutionId = "exec-1",
            TraceId = "trace-1",
            Function = new FunctionSpec { Name = "echo", Version = 1, ModuleSha256 = sha256, TimeoutMs = 5_000, MemoryMb = 64 },
            Payload = ByteString.CopyFromUtf8("ping"),
            Delivery = 1,
            LeaseMs = 10_000,
        });

        await Eventually.TrueAsync(() => Manager.Completed.ContainsKey("t1"), "the task completed");
        var result = Manager.Completed["t1"];
        Assert.Equal(Protos.V1.ExecutionOutcome.Ok, result.Outcome);
        Assert.Equal("ping", result.Output.ToStringUtf8());
        Assert.Equal("worker-under-test", result.Worker);
        Assert.True(result.Cold);
        Assert.Contains("GetArtifact", Manager.Calls);
        var registration = Assert.Single(Manager.Registrations);
        Assert.Equal("", registration.PushAddress);
        Assert.Equal(1024u, registration.Capacity.MemoryMb);
        Assert.Equal(1024u, registration.Capacity.MaxFunctionMemoryMb);
    }

    [Fact]
    public async Task A_worker_with_a_sink_manager_but_neither_push_address_nor_pull_does_not_start()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartWorkerAsync(new Dictionary<string, string?>
        {
            ["Sink:SinkManager"] = sinkManager.Address.ToString(),
            ["Sink:Credential"] = FakeSinkManager.Credential,
        }));

        Assert.Contains("Sink:PushAddress", error.Message);
        var failed = app;
        app = null;
        if (failed is not null)
        {
            await failed.DisposeAsync();
        }
    }

    private sealed class NoModules : IModuleSource
    {
        public Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken) => Task.FromResult<byte[]?>(null);
    }
}
