using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.SinkManager.Membership;
using Faas.SinkManager.Tasks;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Faas.SinkManager.Tests;

public sealed class SinkRegistryTests : IDisposable
{
    private static readonly Guid Credential = Guid.NewGuid();
    private static readonly Guid OtherCredential = Guid.NewGuid();

    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-23T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly SinkManagerOptions options = new()
    {
        HeartbeatInterval = TimeSpan.FromSeconds(1),
        OfflineAfter = TimeSpan.FromSeconds(2.5),
        AckTimeout = TimeSpan.FromSeconds(5),
        LeaseGrace = TimeSpan.FromSeconds(10),
        MaxDeliveries = 3,
        UnplaceableAfter = TimeSpan.FromSeconds(5),
        DrainTimeout = TimeSpan.FromMinutes(2),
    };

    private readonly MeterFactory meters = new();
    private readonly SinkRegistry registry;

    public SinkRegistryTests() =>
        registry = new SinkRegistry(Options.Create(options), time, meters, NullLogger<SinkRegistry>.Instance);

    public void Dispose() => meters.Dispose();

    private string Register(string name, uint slots = 2, uint memoryMb = 1024, string runtime = "javascript", bool pulls = true, Guid? credential = null) =>
        registry.Register(credential ?? Credential, new RegisterSinkRequest
        {
            Name = name,
            Capacity = new SinkCapacity { Slots = slots, MemoryMb = memoryMb, Runtimes = { runtime } },
            PushAddress = pulls ? "" : "http://127.0.0.1:9/",
        }).SinkId;

    private PullConnection Connect(string sinkId)
    {
        var connection = new PullConnection();
        registry.Connect(Credential, sinkId, connection);
        return connection;
    }

    private BrokeredTask Enqueue(uint memoryMb = 128, string runtime = "javascript", string execution = "e1") =>
        registry.Enqueue(
            new RunSinkTaskRequest { ExecutionId = execution, Function = new FunctionSpec { ModuleSha256 = "m", MemoryMb = memoryMb, TimeoutMs = 1000, Runtime = runtime } },
            new FunctionSpec { ModuleSha256 = "m", MemoryMb = memoryMb, TimeoutMs = 1000, Runtime = runtime });

    private static List<SinkTask> Delivered(PullConnection connection)
    {
        var tasks = new List<SinkTask>();
        while (connection.Reader.TryRead(out var task))
        {
            tasks.Add(task);
        }

        return tasks;
    }

    private void Beat(params string[] sinkIds)
    {
        foreach (var id in sinkIds)
        {
            registry.Heartbeat(Credential, id, new SinkLoad());
        }
    }

    private static ExecuteResponse Ok(string worker) => new() { Outcome = ExecutionOutcome.Ok, Worker = worker };

    [Fact]
    public void A_silent_sink_goes_offline_and_comes_back_with_a_heartbeat()
    {
        var id = Register("a");
        time.Advance(TimeSpan.FromSeconds(2));
        registry.Sweep();
        Assert.Equal(SinkState.SinkOnline, registry.Get(id).State);

        time.Advance(TimeSpan.FromSeconds(1));
        registry.Sweep();
        Assert.Equal(SinkState.SinkOffline, registry.Get(id).State);

        Assert.Equal(SinkState.SinkOnline, registry.Heartbeat(Credential, id, new SinkLoad { Cpu = 0.5 }));
        Assert.Equal(0.5, registry.Get(id).Load.Cpu);
    }

    [Fact]
    public async Task A_task_goes_to_a_connected_sink_that_runs_its_runtime_and_completes_with_its_result()
    {
        var wasm = Register("wasm", runtime: "wasm");
        var node = Register("node");
        var wasmTasks = Connect(wasm);
        var nodeTasks = Connect(node);

        var task = Enqueue();

        Assert.Empty(Delivered(wasmTasks));
        var delivered = Assert.Single(Delivered(nodeTasks));
        Assert.Equal("e1", delivered.ExecutionId);
        Assert.Equal(1u, delivered.Delivery);
        registry.Ack(Credential, node, delivered.TaskId);
        registry.Complete(Credential, node, delivered.TaskId, Ok("node"));
        Assert.Equal("node", (await task.Result.Task).Worker);
        Assert.Equal(1ul, registry.Get(node).TasksCompleted);
        Assert.Equal(0u, registry.Get(node).TasksHeld);
    }

    [Fact]
    public void Tasks_are_classed_by_memory_and_go_only_to_sinks_with_room()
    {
        var small = Register("small", slots: 8, memoryMb: 256);
        var large = Register("large", slots: 8, memoryMb: 1024);
        var smallTasks = Connect(small);
        var largeTasks = Connect(large);

        for (var i = 0; i < 3; i++)
        {
            Enqueue(memoryMb: 512, execution: $"big{i}");
        }

        Assert.Empty(Delivered(smallTasks));
        // 1024 MB holds two functions of 512 MB; the third waits for room.
        Assert.Equal(2, Delivered(largeTasks).Count);
        Assert.Equal(1u, registry.Snapshot().PendingTasks["javascript"]);

        Enqueue(memoryMb: 100, execution: "little");
        Assert.Equal("little", Assert.Single(Delivered(smallTasks)).ExecutionId);
    }

    [Fact]
    public void A_small_task_goes_to_a_sink_with_less_free_memory_than_the_smallest_class()
    {
        var sink = Register("tight", slots: 4, memoryMb: 96);
        var tasks = Connect(sink);

        Enqueue(memoryMb: 64, execution: "first");
        Enqueue(memoryMb: 32, execution: "second"); // 32 MB free: less than the 64 MB class, enough for this task
        Enqueue(memoryMb: 16, execution: "third"); // nothing free: it waits

        Assert.Equal(["first", "second"], Delivered(tasks).Select(t => t.ExecutionId));
        Assert.Equal(1u, registry.Snapshot().PendingTasks["javascript"]);
    }

    [Fact]
    public void A_sink_holds_no_more_tasks_than_its_slots()
    {
        var id = Register("a", slots: 2);
        var tasks = Connect(id);

        for (var i = 0; i < 5; i++)
        {
            Enqueue(execution: $"e{i}");
        }

        var first = Delivered(tasks);
        Assert.Equal(2, first.Count);
        registry.Complete(Credential, id, first[0].TaskId, Ok("a"));
        Assert.Equal("e2", Assert.Single(Delivered(tasks)).ExecutionId);
    }

    [Fact]
    public void A_function_no_online_sink_can_run_is_refused_with_the_reason()
    {
        Connect(Register("node", memoryMb: 512));

        var runtime = Assert.Throws<RpcException>(() => Enqueue(runtime: "python"));
        Assert.Equal(StatusCode.FailedPrecondition, runtime.StatusCode);
        Assert.Contains("'python'", runtime.Status.Detail);

        var memory = Assert.Throws<RpcException>(() => Enqueue(memoryMb: 1024));
        Assert.Equal(StatusCode.FailedPrecondition, memory.StatusCode);
        Assert.Contains("512 MB", memory.Status.Detail);
    }

    [Fact]
    public async Task A_waiting_task_whose_sinks_all_went_offline_fails_instead_of_hanging()
    {
        var id = Register("node", slots: 1);
        Connect(id);
        Enqueue(execution: "running");
        var waiting = Enqueue(execution: "waiting");

        time.Advance(TimeSpan.FromSeconds(3));
        registry.Sweep();
        Assert.False(waiting.Result.Task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        registry.Sweep();

        Assert.True(waiting.Result.Task.IsCompleted);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => waiting.Result.Task)).StatusCode);
    }

    [Fact]
    public void A_task_not_acknowledged_in_time_goes_to_another_sink()
    {
        var a = Register("a");
        var b = Register("b");
        var aTasks = Connect(a);
        var task = Enqueue();
        var first = Assert.Single(Delivered(aTasks));
        var bTasks = Connect(b);

        time.Advance(TimeSpan.FromSeconds(2));
        Beat(a, b);
        registry.Sweep();
        Assert.Empty(Delivered(bTasks));

        time.Advance(TimeSpan.FromSeconds(2));
        Beat(a, b);
        time.Advance(TimeSpan.FromSeconds(1.5));
        Beat(a, b);
        registry.Sweep();

        var second = Assert.Single(Delivered(bTasks).Concat(Delivered(aTasks)));
        Assert.Equal(2u, second.Delivery);
        var late = Assert.Throws<RpcException>(() => registry.Complete(Credential, a, first.TaskId, Ok("a")));
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.False(task.Result.Task.IsCompleted);
    }

    [Fact]
    public async Task The_work_of_a_sink_that_goes_offline_runs_elsewhere()
    {
        var a = Register("a");
        var b = Register("b");
        var aTasks = Connect(a);
        var task = Enqueue();
        var first = Assert.Single(Delivered(aTasks));
        registry.Ack(Credential, a, first.TaskId);
        var bTasks = Connect(b);

        // b keeps heartbeating; a falls silent.
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Beat(b);
            registry.Sweep();
        }

        Assert.Equal(SinkState.SinkOffline, registry.Get(a).State);
        var second = Assert.Single(Delivered(bTasks));
        Assert.Equal(first.ExecutionId, second.ExecutionId);
        Assert.NotEqual(first.TaskId, second.TaskId);
        registry.Complete(Credential, b, second.TaskId, Ok("b"));
        Assert.Equal("b", (await task.Result.Task).Worker);
    }

    [Fact]
    public void A_task_whose_sink_disconnects_before_acknowledging_goes_elsewhere_at_once()
    {
        var a = Register("a");
        var b = Register("b");
        var aConnection = Connect(a);
        Enqueue();
        Assert.Single(Delivered(aConnection));
        var bTasks = Connect(b);

        registry.Disconnect(a, aConnection);

        Assert.Equal(2u, Assert.Single(Delivered(bTasks)).Delivery);
    }

    [Fact]
    public async Task An_acknowledged_task_survives_a_reconnect_and_its_result_is_taken()
    {
        var a = Register("a");
        var connection = Connect(a);
        var task = Enqueue();
        var delivered = Assert.Single(Delivered(connection));
        registry.Ack(Credential, a, delivered.TaskId);

        registry.Disconnect(a, connection);
        Connect(a);
        registry.Complete(Credential, a, delivered.TaskId, Ok("a"));

        Assert.Equal("a", (await task.Result.Task).Worker);
    }

    [Fact]
    public async Task After_the_delivery_limit_the_task_fails_as_undeliverable()
    {
        var a = Register("a");
        var task = Enqueue();
        for (var delivery = 1; delivery <= options.MaxDeliveries; delivery++)
        {
            var connection = Connect(a);
            Assert.Single(Delivered(connection));
            registry.Disconnect(a, connection);
        }

        Assert.True(task.Result.Task.IsCompleted);
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => task.Result.Task)).StatusCode);
    }

    [Fact]
    public void A_handed_back_task_goes_to_the_next_sink_without_counting_a_delivery()
    {
        var a = Register("a");
        var aTasks = Connect(a);
        Enqueue();
        var delivered = Assert.Single(Delivered(aTasks));
        var b = Register("b");
        var bTasks = Connect(b);
        registry.Delete(a);

        registry.Release(Credential, a, delivered.TaskId);

        Assert.Equal(1u, Assert.Single(Delivered(bTasks)).Delivery);
    }

    [Fact]
    public void A_deleted_sink_drains_takes_nothing_new_and_is_told_it_was_deleted()
    {
        var a = Register("a");
        var aTasks = Connect(a);
        Enqueue(execution: "held");
        var held = Assert.Single(Delivered(aTasks));

        Assert.Equal(SinkState.SinkDraining, registry.Delete(a).State);
        Assert.Equal(SinkState.SinkDraining, registry.Heartbeat(Credential, a, new SinkLoad()));
        Assert.Throws<RpcException>(() => Enqueue(execution: "new"));

        registry.Complete(Credential, a, held.TaskId, Ok("a"));
        registry.Sweep();

        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => registry.Get(a)).StatusCode);
        Assert.Equal(SinkState.SinkDeleted, registry.Heartbeat(Credential, a, new SinkLoad()));
    }

    [Fact]
    public void A_pushed_sink_drains_once_a_heartbeat_after_the_delete_reports_it_idle()
    {
        var a = Register("a", runtime: "wasm", pulls: false);
        registry.Heartbeat(Credential, a, new SinkLoad { InFlight = 2 });
        registry.Delete(a);

        time.Advance(TimeSpan.FromSeconds(1.5));
        registry.Heartbeat(Credential, a, new SinkLoad { InFlight = 1 });
        registry.Sweep();
        Assert.Equal(SinkState.SinkDraining, registry.Get(a).State);

        time.Advance(TimeSpan.FromSeconds(1));
        registry.Heartbeat(Credential, a, new SinkLoad { InFlight = 0 });
        registry.Sweep();
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => registry.Get(a)).StatusCode);
    }

    [Fact]
    public void A_sink_can_only_act_as_itself()
    {
        var a = Register("a");
        var connection = Connect(a);
        Enqueue();
        var delivered = Assert.Single(Delivered(connection));

        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => registry.Heartbeat(OtherCredential, a, new SinkLoad())).StatusCode);
        Assert.Equal(StatusCode.NotFound, Assert.Throws<RpcException>(() => registry.Complete(OtherCredential, a, delivered.TaskId, Ok("x"))).StatusCode);
        Assert.Equal(StatusCode.AlreadyExists, Assert.Throws<RpcException>(() => Register("a", credential: OtherCredential)).StatusCode);
    }

    [Fact]
    public void Registering_the_same_name_again_replaces_the_old_sink_and_its_work_goes_on()
    {
        var old = Register("a");
        var connection = Connect(old);
        var task = Enqueue();
        Assert.Single(Delivered(connection));

        var renewed = Register("a");
        var tasks = Connect(renewed);

        Assert.NotEqual(old, renewed);
        Assert.Equal(SinkState.SinkDeleted, registry.Heartbeat(Credential, old, new SinkLoad()));
        var redelivered = Assert.Single(Delivered(tasks));
        registry.Complete(Credential, renewed, redelivered.TaskId, Ok("a"));
        Assert.True(task.Result.Task.IsCompletedSuccessfully);
    }

    [Fact]
    public void An_unknown_sink_is_told_to_register_again()
    {
        var error = Assert.Throws<RpcException>(() => registry.Heartbeat(Credential, "nope", new SinkLoad()));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("register again", error.Status.Detail);
    }

    [Fact]
    public void With_no_sink_online_a_task_is_refused_as_unavailable_with_the_no_sink_trailer()
    {
        var error = Assert.Throws<RpcException>(() => Enqueue());
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.NotNull(error.Trailers.GetValue(SinkContract.NoSinkTrailer));
    }

    [Fact]
    public void A_runtime_only_pushed_sinks_run_is_not_queued_for_pulling_sinks()
    {
        Register("worker", runtime: "wasm", pulls: false);

        var error = Assert.Throws<RpcException>(() => Enqueue(runtime: "wasm"));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public void Memory_classes_are_powers_of_two_from_64()
    {
        Assert.Equal(64, TaskBroker.MemoryClass(1));
        Assert.Equal(128, TaskBroker.MemoryClass(128));
        Assert.Equal(256, TaskBroker.MemoryClass(129));
        Assert.Equal(4096, TaskBroker.MemoryClass(4096));
    }

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> created = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            created.Add(meter);
            return meter;
        }

        public void Dispose() => created.ForEach(m => m.Dispose());
    }
}
