using System.Diagnostics;
using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Tests.Fakes;
using Grpc.Core;
using static Faas.Scheduler.Tests.Fakes.DispatcherHarness;

namespace Faas.Scheduler.Tests.Dispatch;

/// <summary>
/// What the dispatcher decides for one invocation, against fake sinks and a fake sink manager: where it runs and what comes
/// back, when it is shed, and how each way a sink call can end becomes a result, a run elsewhere or an exception.
/// </summary>
public sealed class DispatcherTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly DispatcherHarness harness = new();

    public void Dispose() => harness.Dispose();

    [Fact]
    public async Task A_call_runs_on_the_sink_with_its_module_warm_and_its_result_comes_back()
    {
        var function = Function();
        var cold = harness.AddSink("cold", (_, _) => Ok("from cold"));
        var warm = harness.AddSink("warm", (request, _) => Ok($"{request.Payload.ToStringUtf8()} ran {request.Function.Name} on warm", "w-1"), warm: [function.ModuleSha256]);
        var started = new List<string>();

        var response = await harness.DispatchAsync(function, started);

        Assert.Equal("input ran f on warm", response.Result.Output.ToStringUtf8());
        Assert.Equal("w-1", response.Result.Worker);
        Assert.Equal(["warm"], started);
        Assert.Equal((0, 1), (cold.Calls, warm.Calls));
        Assert.Equal((0, 0L), (warm.Sink.InFlight, warm.Sink.MemoryInUseMb)); // the call ended there
        Assert.Equal(1, harness.Counted("faas.scheduler.dispatches", "worker", "warm"));
    }

    [Fact]
    public async Task A_failed_run_is_a_result_not_an_exception()
    {
        var worker = harness.AddSink("a", (_, _) => Task.FromResult(new ExecuteResponse { Outcome = ExecutionOutcome.Timeout, Error = "timed out" }));

        var response = await harness.DispatchAsync(Function());

        Assert.Equal(ExecutionOutcome.Timeout, response.Result.Outcome);
        Assert.Equal((1, 0), (worker.Calls, worker.Sink.InFlight));
    }

    [Fact]
    public async Task The_worker_call_carries_the_function_and_payload_and_a_deadline_of_its_timeout_plus_the_grace()
    {
        var function = Function();
        var worker = harness.AddSink("a", (_, _) => Ok("done"));

        var before = DateTime.UtcNow;
        await harness.DispatchAsync(function);
        var after = DateTime.UtcNow;

        var call = Assert.Single(worker.Invoker.Calls);
        var request = Assert.IsType<ExecuteRequest>(call.Request);
        Assert.Equal(function, request.Function);
        Assert.Equal("input", request.Payload.ToStringUtf8());
        var allowed = TimeSpan.FromMilliseconds(function.TimeoutMs) + harness.Settings.WorkerDeadlineGrace;
        Assert.InRange(call.Options.Deadline!.Value, before + allowed, after + allowed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_execution_id_and_the_callers_traceparent_travel_in_the_request_to_a_pushed_or_a_pulled_sink(bool pushed)
    {
        var worker = pushed ? harness.AddSink("a", (_, _) => Ok("done")) : null;
        harness.PullAnswer = (_, _) => Ok("pulled");
        using var listener = new ActivityListener { ShouldListenTo = s => s.Name == nameof(DispatcherTests), Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource(nameof(DispatcherTests));
        using var span = source.StartActivity("gateway call")!;

        await harness.DispatchAsync(Function());

        var call = Assert.Single(worker is null ? harness.SinkManager.Calls : worker.Invoker.Calls);
        var (executionId, traceparent) = call.Request switch
        {
            ExecuteRequest execute => (execute.ExecutionId, execute.Traceparent),
            RunSinkTaskRequest task => (task.ExecutionId, task.Traceparent),
            _ => ("", ""),
        };
        Assert.Equal(("exec-1", span.Id), (executionId, traceparent));
        Assert.Empty(call.Options.Headers ?? []); // nothing beside the request
    }

    [Fact]
    public async Task A_sink_that_cannot_be_reached_is_left_for_another_even_for_a_function_that_may_not_run_twice()
    {
        var function = Function(idempotent: false);
        var refusing = harness.AddSink("refusing", (_, _) => Fails(ConnectionRefused()), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));
        var started = new List<string>();

        var response = await harness.DispatchAsync(function, started);

        Assert.Equal("from other", response.Result.Output.ToStringUtf8());
        Assert.Equal(["refusing", "other"], started);
        Assert.Equal((1, 1), (refusing.Calls, other.Calls));
        Assert.Equal((0, 0), (refusing.Sink.InFlight, other.Sink.InFlight));
        Assert.Equal(0, harness.Counted("faas.scheduler.sync_retries")); // nothing ran, so it is no retry
    }

    [Fact]
    public async Task When_no_sink_can_be_reached_the_call_fails_with_no_worker_available()
    {
        var a = harness.AddSink("a", (_, _) => Fails(ConnectionRefused()));
        var b = harness.AddSink("b", (_, _) => Fails(ConnectionRefused()));

        var error = await Assert.ThrowsAsync<NoWorkerAvailableException>(() => harness.DispatchAsync(Function()));

        Assert.Equal("No sink that runs 'wasm' could be reached.", error.Message);
        Assert.Equal((1, 1), (a.Calls, b.Calls));
        Assert.Empty(harness.SinkManager.Calls); // not handed to the sink manager either
    }

    [Fact]
    public async Task A_sink_lost_mid_call_fails_a_function_that_may_not_run_twice()
    {
        var function = Function(idempotent: false);
        using var entered = new SemaphoreSlim(0);
        var lost = harness.AddSink("lost", (_, options) => HoldUntilCancelled(options, entered), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));

        var call = harness.DispatchAsync(function);
        Assert.True(await entered.WaitAsync(Patience));
        lost.Sink.MarkLost();
        var error = await Assert.ThrowsAsync<WorkerFailedException>(() => call);

        Assert.True(error.SinkLost);
        Assert.Equal("Sink lost failed during the invocation: the sink went offline mid-call (it stopped heartbeating)", error.Message);
        Assert.Equal(StatusCode.Cancelled, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Equal(0, other.Calls);
        Assert.Equal(0, lost.Sink.InFlight);
        Assert.Equal(0, harness.Counted("faas.scheduler.sync_retries"));
    }

    [Fact]
    public async Task An_idempotent_function_runs_again_elsewhere_when_its_sink_is_lost_mid_call()
    {
        var function = Function(idempotent: true);
        using var entered = new SemaphoreSlim(0);
        var lost = harness.AddSink("lost", (_, options) => HoldUntilCancelled(options, entered), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));
        var started = new List<string>();

        var call = harness.DispatchAsync(function, started);
        Assert.True(await entered.WaitAsync(Patience));
        lost.Sink.MarkLost();
        var response = await call.WaitAsync(Patience);

        Assert.Equal("from other", response.Result.Output.ToStringUtf8());
        Assert.Equal(["lost", "other"], started);
        Assert.Equal(1, harness.Counted("faas.scheduler.sync_retries", "reason", "offline"));
        Assert.Equal((0, 0), (lost.Sink.InFlight, other.Sink.InFlight));
    }

    [Fact]
    public async Task A_call_its_caller_cancels_is_not_a_lost_sink_and_does_not_run_again()
    {
        var function = Function(idempotent: true);
        using var entered = new SemaphoreSlim(0);
        using var caller = new CancellationTokenSource();
        var held = harness.AddSink("held", (_, options) => HoldUntilCancelled(options, entered), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));

        var call = harness.DispatchAsync(function, cancellationToken: caller.Token);
        Assert.True(await entered.WaitAsync(Patience));
        await caller.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal(0, other.Calls);
        Assert.Equal(0, held.Sink.InFlight);
        Assert.Equal(0, harness.Counted("faas.scheduler.sync_retries"));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Unknown)]
    public async Task A_sink_that_breaks_mid_call_fails_a_function_that_may_not_run_twice(StatusCode status)
    {
        var function = Function(idempotent: false);
        harness.AddSink("broken", (_, _) => Fails(Error(status, "stream reset")), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));

        var error = await Assert.ThrowsAsync<WorkerFailedException>(() => harness.DispatchAsync(function));

        Assert.True(error.SinkLost);
        Assert.Equal("Sink broken failed during the invocation: stream reset", error.Message);
        Assert.Equal(0, other.Calls);
    }

    [Fact]
    public async Task An_idempotent_function_runs_again_elsewhere_when_its_sink_breaks_mid_call()
    {
        var function = Function(idempotent: true);
        var broken = harness.AddSink("broken", (_, _) => Fails(Error(StatusCode.Internal, "stream reset")), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));
        var started = new List<string>();

        var response = await harness.DispatchAsync(function, started);

        Assert.Equal("from other", response.Result.Output.ToStringUtf8());
        Assert.Equal(["broken", "other"], started);
        Assert.Equal(1, harness.Counted("faas.scheduler.sync_retries", "reason", "broken"));
        Assert.Equal(0, broken.Sink.InFlight);
    }

    [Fact]
    public async Task When_every_sink_breaks_an_idempotent_function_fails_with_no_worker_available()
    {
        var a = harness.AddSink("a", (_, _) => Fails(Error(StatusCode.Internal, "stream reset")));
        var b = harness.AddSink("b", (_, _) => Fails(Error(StatusCode.Internal, "stream reset")));

        await Assert.ThrowsAsync<NoWorkerAvailableException>(() => harness.DispatchAsync(Function(idempotent: true)));

        Assert.Equal((1, 1), (a.Calls, b.Calls));
        Assert.Equal(2, harness.Counted("faas.scheduler.sync_retries", "reason", "broken"));
    }

    [Fact]
    public async Task A_sink_that_refused_before_running_fails_with_its_reason_and_no_other_sink_is_tried()
    {
        var function = Function(idempotent: true);
        var refusing = harness.AddSink("job", (_, _) => Fails(SinkContract.NotRunError(StatusCode.Unavailable, "no container runtime")), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));

        var error = await Assert.ThrowsAsync<SinkCouldNotRunException>(() => harness.DispatchAsync(function));

        Assert.Equal("Sink job could not run the invocation: no container runtime", error.Message);
        Assert.Equal((1, 0), (refusing.Calls, other.Calls));
        Assert.Equal(0, refusing.Sink.InFlight);
        Assert.Equal(0, harness.Counted("faas.scheduler.sync_retries"));
    }

    [Fact]
    public async Task A_sink_that_ran_the_call_and_lost_its_result_fails_it_without_calling_the_sink_lost()
    {
        var function = Function(idempotent: true);
        harness.AddSink("a", (_, _) => Fails(Error(StatusCode.Aborted, "the container ended without a result")), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));

        var error = await Assert.ThrowsAsync<WorkerFailedException>(() => harness.DispatchAsync(function));

        Assert.False(error.SinkLost);
        Assert.Equal("Sink a failed during the invocation: the container ended without a result", error.Message);
        Assert.Equal(0, other.Calls);
    }

    [Theory]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.DeadlineExceeded)]
    [InlineData(StatusCode.ResourceExhausted)]
    public async Task Any_other_worker_error_is_passed_on_as_the_worker_said_it(StatusCode status)
    {
        var function = Function(idempotent: true);
        harness.AddSink("a", (_, _) => Fails(Error(status, "the worker's reason")), warm: [function.ModuleSha256]);
        var other = harness.AddSink("other", (_, _) => Ok("from other"));

        var error = await Assert.ThrowsAsync<RpcException>(() => harness.DispatchAsync(function));

        Assert.Equal((status, "the worker's reason"), (error.StatusCode, error.Status.Detail));
        Assert.Equal(0, other.Calls);
    }

    [Fact]
    public async Task Beyond_max_concurrency_calls_wait_in_the_queue_and_beyond_its_capacity_they_are_shed()
    {
        var function = Function(maxConcurrency: 1, queueCapacity: 1);
        var release = new TaskCompletionSource<ExecuteResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var entered = new SemaphoreSlim(0);
        var worker = harness.AddSink("a", async (_, _) =>
        {
            entered.Release();
            return await release.Task;
        });

        var running = harness.DispatchAsync(function);
        Assert.True(await entered.WaitAsync(Patience));
        var waiting = harness.DispatchAsync(function);
        var queue = harness.Queues.Get($"{TenantId}/f", 1, 1);
        Assert.Equal((1, 1), (queue.Running, queue.Waiting));
        var shed = await Assert.ThrowsAsync<QueueFullException>(() => harness.DispatchAsync(function));

        Assert.Equal($"The queue of function '{TenantId}/f' is full (1 waiting); retry after 1 s.", shed.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), shed.RetryAfter);
        Assert.Equal(1, harness.Counted("faas.scheduler.rejections", "function", $"{TenantId}/f"));
        Assert.Equal(1, worker.Calls); // the waiting call was not sent

        release.SetResult(new ExecuteResponse { Outcome = ExecutionOutcome.Ok });
        await Task.WhenAll(running, waiting).WaitAsync(Patience);
        Assert.Equal(2, worker.Calls);
        Assert.Equal((0, 0), (queue.Running, queue.Waiting));
        Assert.Equal(0, harness.Tenants.Held);
    }

    [Fact]
    public async Task A_call_that_fails_gives_back_its_concurrency_slot_and_tenant_lease()
    {
        var function = Function(maxConcurrency: 1, queueCapacity: 0);
        var calls = 0;
        harness.AddSink("a", (_, _) => Interlocked.Increment(ref calls) == 1 ? Fails(Error(StatusCode.Aborted, "lost the result")) : Ok("second"));

        await Assert.ThrowsAsync<WorkerFailedException>(() => harness.DispatchAsync(function));
        var second = await harness.DispatchAsync(function); // no QueueFullException: the slot came back

        Assert.Equal("second", second.Result.Output.ToStringUtf8());
        Assert.Equal(0, harness.Tenants.Held);
    }

    [Fact]
    public async Task A_tenant_at_its_quota_is_refused_before_anything_runs()
    {
        harness.Tenants.Limit = 0;
        var worker = harness.AddSink("a", (_, _) => Ok("never"));

        var error = await Assert.ThrowsAsync<TenantConcurrencyExceededException>(() => harness.DispatchAsync(Function()));

        Assert.Equal(TimeSpan.FromSeconds(1), error.RetryAfter);
        Assert.Equal(0, worker.Calls);
        Assert.Equal(0, harness.Counted("faas.scheduler.rejections")); // the function's queue did not refuse it
    }

    [Fact]
    public async Task Before_the_first_membership_a_call_waits_for_it_up_to_the_membership_wait()
    {
        harness.View.IsReady = false;
        harness.Settings.MembershipWait = TimeSpan.FromSeconds(3);
        harness.AddSink("a", (_, _) => Ok("done"));

        var response = await harness.DispatchAsync(Function());

        Assert.Equal(TimeSpan.FromSeconds(3), harness.View.WaitedFor);
        Assert.Equal("done", response.Result.Output.ToStringUtf8());
    }

    [Fact]
    public async Task A_call_makes_its_function_known_to_the_warm_pool()
    {
        var function = Function("hot");
        harness.AddSink("a", (_, _) => Ok("done"));

        await harness.DispatchAsync(function);

        var target = Assert.Single(harness.WarmTargets.Current());
        Assert.Equal(($"{TenantId}/hot", "sha-hot", 128L), (target.Function, target.ModuleSha256, target.MemoryMb));
    }

    [Fact]
    public async Task Without_a_sink_to_push_to_the_task_goes_to_the_sink_manager_with_the_hand_off_allowance()
    {
        var function = Function();
        harness.PullAnswer = (request, _) => Ok($"{request.Payload.ToStringUtf8()} pulled for {request.Function.Name}");
        var started = new List<string>();

        var before = DateTime.UtcNow;
        var response = await harness.DispatchAsync(function, started);
        var after = DateTime.UtcNow;

        Assert.Equal("input pulled for f", response.Result.Output.ToStringUtf8());
        Assert.Equal(["pull"], started);
        var call = Assert.Single(harness.SinkManager.Calls);
        Assert.Equal(function, Assert.IsType<RunSinkTaskRequest>(call.Request).Function);
        var allowed = TimeSpan.FromMilliseconds(function.TimeoutMs) + harness.Settings.WorkerDeadlineGrace + harness.Settings.PullHandOffAllowance;
        Assert.InRange(call.Options.Deadline!.Value, before + allowed, after + allowed);
        Assert.Equal(1, harness.Counted("faas.scheduler.dispatches", "worker", "pull"));
    }

    [Fact]
    public async Task A_pulled_task_no_sink_can_run_is_a_configuration_problem()
    {
        harness.PullAnswer = (_, _) => Fails(Error(StatusCode.FailedPrecondition, "no sink runs 'python'"));

        var error = await Assert.ThrowsAsync<NoSinkCanRunException>(() => harness.DispatchAsync(Function()));

        Assert.Equal("no sink runs 'python'", error.Message);
    }

    [Fact]
    public async Task A_full_backlog_at_the_sink_manager_sheds_the_call_with_a_retry_after()
    {
        harness.PullAnswer = (_, _) => Fails(Error(StatusCode.ResourceExhausted, "too many tasks wait"));

        var error = await Assert.ThrowsAsync<SinkBacklogFullException>(() => harness.DispatchAsync(Function()));

        Assert.Equal(("too many tasks wait", TimeSpan.FromSeconds(1)), (error.Message, error.RetryAfter));
    }

    [Fact]
    public async Task No_sink_online_at_the_sink_manager_is_no_worker_available()
    {
        harness.PullAnswer = (_, _) => Fails(new RpcException(
            new Status(StatusCode.Unavailable, "no sink is online"), new Metadata { { SinkContract.NoSinkTrailer, "1" } }));

        var error = await Assert.ThrowsAsync<NoWorkerAvailableException>(() => harness.DispatchAsync(Function()));

        Assert.Equal("no sink is online", error.Message);
    }

    [Fact]
    public async Task A_sink_manager_that_cannot_be_reached_is_no_worker_available_not_a_failed_run()
    {
        harness.PullAnswer = (_, _) => Fails(ConnectionRefused());

        var error = await Assert.ThrowsAsync<NoWorkerAvailableException>(() => harness.DispatchAsync(Function()));

        Assert.Equal("The sink manager could not be reached: Error connecting to subchannel.", error.Message);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, true)]
    [InlineData(StatusCode.Internal, true)]
    [InlineData(StatusCode.Unknown, true)]
    [InlineData(StatusCode.DeadlineExceeded, false)]
    public async Task A_pulled_task_whose_sink_failed_fails_and_only_a_deadline_is_not_a_lost_sink(StatusCode status, bool sinkLost)
    {
        harness.PullAnswer = (_, _) => Fails(Error(status, "the sink went away"));

        var error = await Assert.ThrowsAsync<WorkerFailedException>(() => harness.DispatchAsync(Function(idempotent: true)));

        Assert.Equal(sinkLost, error.SinkLost);
        Assert.Equal("Sink pull failed during the invocation: the sink went away", error.Message);
        Assert.Single(harness.SinkManager.Calls); // a pulled task is not run again here
    }
}
