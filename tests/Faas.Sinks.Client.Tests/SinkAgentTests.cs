using Faas.Protos.V1;
using Google.Protobuf;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faas.Sinks.Client.Tests;

/// <summary>The agent against a fake sink manager: what it sends and how it reacts to answers, never how fast.</summary>
public sealed class SinkAgentTests : IAsyncLifetime
{
    private FakeSinkManagerHost host = null!;
    private readonly List<SinkAgent> agents = [];

    private FakeSinkManager Manager => host.Manager;

    public async Task InitializeAsync() => host = await FakeSinkManagerHost.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var agent in agents)
        {
            await agent.StopAsync(CancellationToken.None);
            agent.Dispose();
        }

        await host.DisposeAsync();
    }

    private SinkClientOptions Options(string? pushAddress = "http://127.0.0.1:5302", int slots = 2, Uri? sinkManager = null) => new()
    {
        SinkManager = sinkManager ?? host.Address,
        Credential = FakeSinkManager.Credential,
        Name = "test-sink",
        Slots = slots,
        MemoryMb = 1024,
        MaxFunctionMemoryMb = 512,
        Runtimes = ["wasm"],
        Modes = [ExecutionMode.Warm],
        PushAddress = pushAddress,
        Labels = { ["kind"] = "test" },
        InitialRetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(200),
        ShutdownTimeout = TimeSpan.FromSeconds(30),
    };

    private async Task<SinkAgent> StartAsync(SinkClientOptions options, ISinkTaskRunner? runner = null, ISinkLoad? load = null)
    {
        var agent = new SinkAgent(
            Microsoft.Extensions.Options.Options.Create(options), load ?? new FixedLoad(new SinkLoadReport(0, 0, 0, [])),
            runner is null ? [] : [runner], NullLogger<SinkAgent>.Instance);
        agents.Add(agent);
        await agent.StartAsync(CancellationToken.None);
        return agent;
    }

    private async Task StopAsync(SinkAgent agent)
    {
        agents.Remove(agent);
        await agent.StopAsync(CancellationToken.None);
        agent.Dispose();
    }

    private static SinkTask Task(string id, string payload = "ping", uint memoryMb = 64) => new()
    {
        TaskId = id,
        ExecutionId = "exec-" + id,
        TraceId = "trace-" + id,
        Function = new FunctionSpec { Name = "echo", ModuleSha256 = new string('a', 64), MemoryMb = memoryMb, TimeoutMs = 5_000 },
        Payload = ByteString.CopyFromUtf8(payload),
        Delivery = 1,
        LeaseMs = 10_000,
    };

    [Fact]
    public async Task Logs_in_then_registers_the_configured_capacity()
    {
        var agent = await StartAsync(Options());

        await Eventually.TrueAsync(() => agent.Status.Registered && !Manager.Heartbeats.IsEmpty, "the sink registered and heartbeat");

        var calls = Manager.Calls.ToArray();
        Assert.Equal(["Login", "Register"], calls[..2]);
        var registration = Assert.Single(Manager.Registrations);
        Assert.Equal("test-sink", registration.Name);
        Assert.Equal(2u, registration.Capacity.Slots);
        Assert.Equal(1024u, registration.Capacity.MemoryMb);
        Assert.Equal(512u, registration.Capacity.MaxFunctionMemoryMb);
        Assert.Equal(["wasm"], registration.Capacity.Runtimes);
        Assert.Equal([ExecutionMode.Warm], registration.Capacity.Modes);
        Assert.Equal("http://127.0.0.1:5302", registration.PushAddress);
        Assert.Equal("test", registration.Labels["kind"]);
        Assert.Equal("sink-1", agent.SinkId);
        Assert.Equal(SinkState.SinkOnline, agent.Status.State);
    }

    [Fact]
    public async Task Heartbeats_carry_the_hosts_load()
    {
        var load = new FixedLoad(new SinkLoadReport(0.25, 123_456, 3, ["abc"]));
        var agent = await StartAsync(Options(), load: load);

        await Eventually.TrueAsync(() => Manager.Heartbeats.Count >= 2, "two heartbeats arrived");

        var (heartbeat, _) = Manager.Heartbeats.First();
        Assert.Equal(agent.SinkId, heartbeat.SinkId);
        Assert.Equal(0.25, heartbeat.Load.Cpu);
        Assert.Equal(123_456ul, heartbeat.Load.MemoryBytes);
        Assert.Equal(3u, heartbeat.Load.InFlight);
        Assert.Equal(["abc"], heartbeat.Load.WarmModules);
    }

    [Fact]
    public async Task Logs_in_again_when_the_token_is_rejected()
    {
        var agent = await StartAsync(Options());
        await Eventually.TrueAsync(() => !Manager.Heartbeats.IsEmpty, "a heartbeat arrived");

        Manager.RevokeTokens();

        await Eventually.TrueAsync(() => Manager.Heartbeats.Any(h => h.Token == "token-2"), "a heartbeat carried a new token");
        Assert.Single(Manager.Registrations);
        Assert.True(agent.Status.Registered);
    }

    [Fact]
    public async Task Registers_again_when_the_sink_manager_does_not_know_the_sink()
    {
        var agent = await StartAsync(Options());
        await Eventually.TrueAsync(() => !Manager.Heartbeats.IsEmpty, "a heartbeat arrived");

        Manager.ForgetSinks();

        await Eventually.TrueAsync(() => Manager.Heartbeats.Any(h => h.Request.SinkId == "sink-2"), "the sink heartbeat under a new registration");
        Assert.Equal(2, Manager.Registrations.Count);
        Assert.Equal("sink-2", agent.SinkId);
    }

    [Fact]
    public async Task Pull_mode_acknowledges_runs_and_completes_a_task()
    {
        var runner = new EchoRunner();
        var agent = await StartAsync(Options(pushAddress: ""), runner);
        await Eventually.TrueAsync(() => Manager.OpenPulls == 1, "the sink opened its task stream");

        await Manager.Tasks.Writer.WriteAsync(Task("t1", "hello"));

        await Eventually.TrueAsync(() => Manager.Completed.ContainsKey("t1"), "the task completed");
        Assert.Contains("t1", Manager.Acked);
        Assert.Empty(Manager.Released);
        var result = Manager.Completed["t1"];
        Assert.Equal(Protos.V1.ExecutionOutcome.Ok, result.Outcome);
        Assert.Equal("hello", result.Output.ToStringUtf8());
        Assert.Equal("", Assert.Single(Manager.Registrations).PushAddress);
        Assert.True(agent.Pulls);
    }

    [Fact]
    public async Task A_task_the_runner_cannot_run_is_released()
    {
        var runner = new EchoRunner { Fail = true };
        await StartAsync(Options(pushAddress: ""), runner);
        await Eventually.TrueAsync(() => Manager.OpenPulls == 1, "the sink opened its task stream");

        await Manager.Tasks.Writer.WriteAsync(Task("t1"));

        await Eventually.TrueAsync(() => Manager.Released.Contains("t1"), "the task was released");
        Assert.Contains("t1", Manager.Acked);
        Assert.False(Manager.Completed.ContainsKey("t1"));
    }

    [Fact]
    public async Task Draining_stops_pulling_and_tells_the_host()
    {
        var agent = await StartAsync(Options(pushAddress: ""), new EchoRunner());
        var states = new List<SinkState>();
        agent.StateChanged += (_, e) =>
        {
            lock (states)
            {
                states.Add(e.State);
            }
        };
        await Eventually.TrueAsync(() => Manager.OpenPulls == 1, "the sink opened its task stream");

        Manager.HeartbeatState = SinkState.SinkDraining;

        await Eventually.TrueAsync(() => agent.Status.Draining && Manager.OpenPulls == 0, "the sink drains and closed its task stream");
        var heartbeats = Manager.Heartbeats.Count;
        await Manager.Tasks.Writer.WriteAsync(Task("t1"));
        await Eventually.TrueAsync(() => Manager.Heartbeats.Count >= heartbeats + 3, "three more heartbeats arrived");
        Assert.Empty(Manager.Acked);
        Assert.Equal(1, Manager.PullsOpened);
        Assert.False(agent.AcceptsWork);
        lock (states)
        {
            Assert.Contains(SinkState.SinkDraining, states);
        }
    }

    [Fact]
    public async Task Stopping_releases_tasks_not_started_waits_for_running_ones_and_deregisters()
    {
        var runner = new EchoRunner { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var agent = await StartAsync(Options(pushAddress: "", slots: 1), runner);
        await Eventually.TrueAsync(() => Manager.OpenPulls == 1, "the sink opened its task stream");
        await Manager.Tasks.Writer.WriteAsync(Task("running"));
        await Eventually.TrueAsync(() => runner.Started.Contains("running"), "the first task started");
        await Manager.Tasks.Writer.WriteAsync(Task("waiting"));
        await Eventually.TrueAsync(() => Manager.Acked.Contains("waiting"), "the second task was acknowledged");

        agents.Remove(agent);
        var stopping = agent.StopAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => Manager.Released.Contains("waiting"), "the task not started was released");
        runner.Gate.SetResult();
        await stopping;
        agent.Dispose();

        Assert.True(Manager.Completed.ContainsKey("running"));
        Assert.DoesNotContain("waiting", runner.Started);
        Assert.Equal(["sink-1"], Manager.Deregistered);
        Assert.Equal(0, Manager.OpenPulls);
    }

    [Fact]
    public async Task A_deleted_sink_stops_for_good_and_is_degraded()
    {
        var agent = await StartAsync(Options(pushAddress: ""), new EchoRunner());
        var health = new SinkRegistrationHealthCheck(agent);
        await Eventually.TrueAsync(() => Manager.OpenPulls == 1, "the sink opened its task stream");

        Manager.HeartbeatState = SinkState.SinkDeleted;

        await Eventually.TrueAsync(() => agent.Status.Deleted && Manager.OpenPulls == 0, "the sink learned it was deleted");
        await StopAsync(agent);
        Assert.Empty(Manager.Deregistered);
        Assert.Single(Manager.Registrations);
        Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Health_is_unhealthy_until_registered_and_the_agent_retries_an_unreachable_sink_manager()
    {
        // Nothing listens on the port of a stopped listener.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var agent = await StartAsync(Options(sinkManager: new Uri($"http://127.0.0.1:{port}")));
        var health = new SinkRegistrationHealthCheck(agent);

        await Eventually.TrueAsync(() => agent.Status.LastError is not null, "a failure was recorded");
        var unhealthy = await health.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.False(agent.Status.Registered);

        var registered = await StartAsync(Options());
        var registeredHealth = new SinkRegistrationHealthCheck(registered);
        await Eventually.TrueAsync(() => registered.Status.LastHeartbeatSucceeded, "a heartbeat succeeded");
        Assert.Equal(HealthStatus.Healthy, (await registeredHealth.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task Heartbeat_failures_degrade_health()
    {
        var agent = await StartAsync(Options());
        var health = new SinkRegistrationHealthCheck(agent);
        await Eventually.TrueAsync(() => agent.Status.LastHeartbeatSucceeded, "a heartbeat succeeded");

        await host.DisposeAsync();
        host = await FakeSinkManagerHost.StartAsync();

        await Eventually.TrueAsync(() => agent.Status.LastError is not null, "a failure was recorded");
        Assert.Equal(HealthStatus.Degraded, (await health.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    [Fact]
    public async Task GetArtifact_returns_the_code_or_null()
    {
        var agent = await StartAsync(Options(pushAddress: ""), new EchoRunner());
        await Eventually.TrueAsync(() => agent.Status.Registered, "the sink registered");
        Manager.Artifacts["abc"] = [1, 2, 3];

        Assert.Equal([1, 2, 3], await agent.GetArtifactAsync("abc", CancellationToken.None));
        Assert.Null(await agent.GetArtifactAsync("def", CancellationToken.None));
    }

    private sealed class FixedLoad(SinkLoadReport report) : ISinkLoad
    {
        public SinkLoadReport GetLoad() => report;
    }

    private sealed class EchoRunner : ISinkTaskRunner
    {
        public bool Fail { get; init; }

        public TaskCompletionSource? Gate { get; init; }

        public System.Collections.Concurrent.ConcurrentBag<string> Started { get; } = [];

        public async Task<ExecuteResponse> RunAsync(SinkTask task, CancellationToken cancellationToken)
        {
            Started.Add(task.TaskId);
            if (Fail)
            {
                throw new InvalidOperationException("The module could not be loaded.");
            }

            if (Gate is not null)
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }

            return new ExecuteResponse { Outcome = Protos.V1.ExecutionOutcome.Ok, Output = task.Payload, Worker = "test" };
        }
    }
}
