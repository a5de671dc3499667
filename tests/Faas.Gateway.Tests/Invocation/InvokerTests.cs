using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Gateway.Errors;
using Faas.Gateway.Invocation;
using Faas.Gateway.Tests.Fakes;
using Faas.Scheduler.Tests.Fakes;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Faas.Storage.Executions;
using Faas.Storage.Postgres;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Execution = Faas.Storage.Model.Execution;
using ExecutionMode = Faas.Storage.Model.ExecutionMode;
using ExecutionStatus = Faas.Storage.Model.ExecutionStatus;
using FunctionConfig = Faas.Storage.Model.FunctionConfig;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Gateway.Tests.Invocation;

/// <summary>
/// What the gateway's synchronous invoke decides, against a scheduler scripted under the generated client (unary calls,
/// no server), a registry without a database and the real execution recorder, never started, whose pending records are
/// what the invoke recorded: the execution id it tells the caller, sends and records; the request it sends; how each
/// failure is told to the caller, recorded and counted; and what it refuses before anything runs.
/// </summary>
public sealed class InvokerTests : IDisposable
{
    private static readonly Guid TenantId = Guid.Parse("0f6a3c1e-5b7d-4e29-9a41-2c8d6e0b7f13");
    private static readonly DateTimeOffset Now = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);
    private static readonly ActivitySource Source = new("Faas.Gateway.Tests.Invoker");

    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener meters = new();
    private readonly ActivityListener spans = new()
    {
        ShouldListenTo = source => source == Source,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    // Never opened: the recorder is not started, so nothing is written.
    private readonly NpgsqlDataSource unusedDatabase = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
    private readonly ConcurrentQueue<(string Function, string Status)> counted = new();
    private readonly ConcurrentQueue<string> toldIds = new();
    private readonly ManualClock clock = new(Now);
    private readonly FakeRunnableVersions versions = new();
    private readonly FakeCallInvoker scheduler;
    private readonly SchedulerLink link;
    private readonly ExecutionRecorder recorder;
    private readonly Invoker invoker;
    private readonly FunctionVersion function;

    private Func<DispatchRequest, CancellationToken, Task<DispatchResponse>> answer =
        (_, _) => Task.FromResult(new DispatchResponse { Result = new ExecuteResponse { Outcome = ExecutionOutcome.Ok } });

    public InvokerTests()
    {
        ActivitySource.AddActivityListener(spans);
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && instrument.Name == "faas.gateway.invocations")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? name = null, status = null;
            foreach (var tag in tags)
            {
                name = tag.Key == "function" ? tag.Value as string : name;
                status = tag.Key == "status" ? tag.Value as string : status;
            }

            counted.Enqueue((name ?? "", status ?? ""));
        });
        meters.Start();

        function = versions.Add(FunctionVersion("resize"));
        scheduler = new FakeCallInvoker(async call => await answer((DispatchRequest)call.Request!, call.Options.CancellationToken));
        link = new SchedulerLink(new Protos.V1.Scheduler.SchedulerClient(scheduler), Options.Create(new MultiplexingOptions { Enabled = false }));
        recorder = new ExecutionRecorder(
            new ExecutionStore(unusedDatabase), Options.Create(new ExecutionRecorderOptions()), meterFactory, NullLogger<ExecutionRecorder>.Instance);
        invoker = new Invoker(versions, link, recorder, clock, Options.Create(new GatewayOptions { MaxPayloadBytes = 1024 }), meterFactory);
    }

    public void Dispose()
    {
        link.Dispose();
        recorder.Dispose();
        meters.Dispose();
        spans.Dispose();
        unusedDatabase.Dispose();
        services.Dispose();
    }

    private static FunctionVersion FunctionVersion(string name) => FakeRunnableVersions.Ready(TenantId, name, 3, new FunctionConfig
    {
        TimeoutMs = 5_000,
        MemoryMb = 256,
        MaxConcurrency = 8,
        Mode = ExecutionMode.Warm,
        Env = new Dictionary<string, string> { ["SIZE"] = "large" },
    });

    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private Task<InvocationResult> InvokeAsync(string payload = "input", CancellationToken cancellationToken = default) =>
        invoker.InvokeAsync(TenantId, "resize", 0, Bytes(payload), toldIds.Enqueue, cancellationToken);

    /// <summary>The one id told to the caller.</summary>
    private string ToldId() => Assert.Single(toldIds);

    /// <summary>The record of the execution the caller was told about.</summary>
    private Execution Record()
    {
        Assert.True(recorder.TryGetPending(Guid.Parse(ToldId()), out var record), "the execution was recorded");
        return record;
    }

    private DispatchRequest Sent() => (DispatchRequest)Assert.Single(scheduler.Calls).Request!;

    private void Fail(RpcException error) => answer = (_, _) => Task.FromException<DispatchResponse>(error);

    [Fact]
    public async Task A_run_that_succeeds_returns_its_output_under_the_id_told_sent_and_recorded()
    {
        var toldBeforeTheRun = false;
        answer = (request, _) =>
        {
            toldBeforeTheRun = toldIds.Contains(request.ExecutionId);
            clock.Advance(TimeSpan.FromMilliseconds(40));
            return Task.FromResult(new DispatchResponse
            {
                QueueMicros = 1_500,
                Result = new ExecuteResponse { Outcome = ExecutionOutcome.Ok, Output = ByteString.CopyFromUtf8("resized"), Worker = "sink-a/w1", RunMicros = 2_500 },
            });
        };

        var result = await InvokeAsync("input");

        var id = ToldId();
        Assert.Equal("resized", System.Text.Encoding.UTF8.GetString(result.Output.Span));
        Assert.Equal(id, result.ExecutionId);
        Assert.Equal(id, Sent().ExecutionId);
        Assert.True(toldBeforeTheRun, "the caller learns the id before the scheduler is called");
        Assert.Equal(7, Guid.Parse(id).Version);
        Assert.Equal(
            new Execution(
                Guid.Parse(id), TenantId, function.FunctionId, "resize", 3, ExecutionStatus.Succeeded, Now, Now.AddMilliseconds(40),
                QueueMicros: 1_500, RunMicros: 2_500, InputBytes: 5, OutputBytes: 7, ExitCode: 0, Error: "", StderrTail: "", Worker: "sink-a/w1", TraceId: ""),
            Record());
        Assert.Equal([("resize", "succeeded")], counted);
        Assert.Equal([(TenantId, "resize", 0)], versions.Lookups);
    }

    [Fact]
    public async Task The_request_carries_the_function_spec_the_payload_and_the_current_spans_traceparent_whose_trace_is_recorded()
    {
        using var span = Source.StartActivity("invoke");
        Assert.NotNull(span);

        await InvokeAsync("a payload");

        var sent = Sent();
        Assert.Equal(span.Id, sent.Traceparent);
        Assert.StartsWith($"00-{span.TraceId.ToHexString()}-{span.SpanId.ToHexString()}-", sent.Traceparent, StringComparison.Ordinal);
        Assert.Equal("a payload", sent.Payload.ToStringUtf8());
        Assert.Equal(FunctionSpecs.Of(function), sent.Function);
        Assert.Equal(
            (TenantId.ToString(), function.FunctionId.ToString(), "resize", 3u, new string('c', 64), 5_000u, 256u, 8u, "large"),
            (sent.Function.TenantId, sent.Function.FunctionId, sent.Function.Name, sent.Function.Version, sent.Function.ModuleSha256,
                sent.Function.TimeoutMs, sent.Function.MemoryMb, sent.Function.MaxConcurrency, sent.Function.Env["SIZE"]));
        Assert.Equal(span.TraceId.ToHexString(), Record().TraceId);
    }

    [Fact]
    public async Task Outside_a_span_no_traceparent_is_sent_and_no_trace_recorded()
    {
        Assert.Null(Activity.Current);

        await InvokeAsync();

        Assert.Equal("", Sent().Traceparent);
        Assert.Equal("", Record().TraceId);
    }

    [Fact]
    public async Task A_full_queue_is_capacity_exceeded_with_the_schedulers_retry_after_and_recorded_rejected()
    {
        Fail(new RpcException(new Status(StatusCode.ResourceExhausted, "the function's queue is full"), new Metadata { { "retry-after", "7" } }));

        var error = await Assert.ThrowsAsync<CapacityExceededException>(() => InvokeAsync());

        Assert.Equal((7, "the function's queue is full"), (error.RetryAfterSeconds, error.Message));
        var record = Record();
        Assert.Equal((ExecutionStatus.Rejected, "the function's queue is full", "", 0L), (record.Status, record.Error, record.Worker, record.RunMicros));
        Assert.Equal(Sent().ExecutionId, record.Id.ToString());
        Assert.Equal([("resize", "rejected")], counted);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("soon")]
    public async Task A_full_queue_without_a_readable_retry_after_says_one_second(string? retryAfter)
    {
        Fail(new RpcException(
            new Status(StatusCode.ResourceExhausted, "full"), retryAfter is null ? [] : new Metadata { { "retry-after", retryAfter } }));

        var error = await Assert.ThrowsAsync<CapacityExceededException>(() => InvokeAsync());

        Assert.Equal(1, error.RetryAfterSeconds);
        Assert.Equal(ExecutionStatus.Rejected, Record().Status);
    }

    [Fact]
    public async Task A_run_no_sink_can_place_is_not_runnable_and_recorded_failed()
    {
        Fail(new RpcException(new Status(StatusCode.FailedPrecondition, "no online sink runs wasm with 256 MiB free")));

        var error = await Assert.ThrowsAsync<FunctionNotRunnableException>(() => InvokeAsync());

        var id = ToldId();
        Assert.Equal($"Execution {id} could not be placed: no online sink runs wasm with 256 MiB free", error.Message);
        Assert.Equal((ExecutionStatus.Failed, "no online sink runs wasm with 256 MiB free"), (Record().Status, Record().Error));
        Assert.Equal([("resize", "unplaceable")], counted);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.Internal)]
    [InlineData(StatusCode.Unknown)]
    public async Task A_mesh_that_cannot_run_it_is_unavailable_and_recorded_failed(StatusCode code)
    {
        var cause = new RpcException(new Status(code, "the scheduler is restarting"));
        Fail(cause);

        var error = await Assert.ThrowsAsync<MeshUnavailableException>(() => InvokeAsync());

        Assert.Equal($"Execution {ToldId()} could not run: the scheduler is restarting", error.Message);
        Assert.Same(cause, error.InnerException);
        Assert.Equal((ExecutionStatus.Failed, "the scheduler is restarting"), (Record().Status, Record().Error));
        Assert.Equal([("resize", "unavailable")], counted);
    }

    [Fact]
    public async Task A_passed_deadline_is_told_as_it_is_and_recorded_timed_out()
    {
        var cause = new RpcException(new Status(StatusCode.DeadlineExceeded, "deadline passed in the scheduler"));
        Fail(cause);

        var error = await Assert.ThrowsAsync<RpcException>(() => InvokeAsync());

        Assert.Same(cause, error);
        Assert.Equal((ExecutionStatus.TimedOut, "deadline passed in the scheduler"), (Record().Status, Record().Error));
        Assert.Equal([("resize", "timed_out")], counted);
    }

    [Fact]
    public async Task Any_other_status_is_told_as_it_is_and_recorded_failed()
    {
        var cause = new RpcException(new Status(StatusCode.PermissionDenied, "not this tenant's function"));
        Fail(cause);

        var error = await Assert.ThrowsAsync<RpcException>(() => InvokeAsync());

        Assert.Same(cause, error);
        Assert.Equal((ExecutionStatus.Failed, "not this tenant's function"), (Record().Status, Record().Error));
        Assert.Equal([("resize", "failed")], counted);
    }

    [Fact]
    public async Task An_exception_that_is_not_a_status_is_told_as_it_is_and_recorded_failed_with_its_message()
    {
        answer = (_, _) => throw new InvalidOperationException("the link broke");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => InvokeAsync());

        Assert.Equal("the link broke", error.Message);
        Assert.Equal((ExecutionStatus.Failed, "the link broke"), (Record().Status, Record().Error));
        Assert.Equal([("resize", "failed")], counted);
    }

    [Fact]
    public async Task A_run_that_timed_out_is_a_timed_out_function_failure_recorded_timed_out()
    {
        answer = (_, _) => Task.FromResult(new DispatchResponse
        {
            QueueMicros = 300,
            Result = new ExecuteResponse { Outcome = ExecutionOutcome.Timeout, Error = "the run was stopped", Worker = "sink-b/w4", RunMicros = 5_000_000, StderrTail = "working..." },
        });

        var error = await Assert.ThrowsAsync<FunctionFailedException>(() => InvokeAsync());

        var id = ToldId();
        Assert.Equal(id, error.ExecutionId);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode); // the timed-out flag
        Assert.Equal($"Function 'resize' timed out after 5000 ms: the run was stopped (execution {id}); stderr: working...", error.Message);
        var record = Record();
        Assert.Equal(
            (ExecutionStatus.TimedOut, "the run was stopped", "sink-b/w4", 300L, 5_000_000L, "working..."),
            (record.Status, record.Error, record.Worker, record.QueueMicros, record.RunMicros, record.StderrTail));
        Assert.Equal([("resize", "timed_out")], counted);
    }

    [Fact]
    public async Task A_run_that_exited_non_zero_is_a_function_failure_with_its_stderr_recorded_failed()
    {
        answer = (_, _) => Task.FromResult(new DispatchResponse
        {
            Result = new ExecuteResponse
            {
                Outcome = ExecutionOutcome.ExitedNonZero, ExitCode = 3, Error = "unwrap on None", StderrTail = "thread 'main' panicked", Worker = "sink-a/w2",
                Output = ByteString.CopyFromUtf8("partial"),
            },
        });

        var error = await Assert.ThrowsAsync<FunctionFailedException>(() => InvokeAsync());

        var id = ToldId();
        Assert.Equal(id, error.ExecutionId);
        Assert.Equal(StatusCode.Unknown, error.StatusCode); // not timed out
        Assert.Equal($"Function 'resize' exited with code 3: unwrap on None (execution {id}); stderr: thread 'main' panicked", error.Message);
        var record = Record();
        Assert.Equal(
            (ExecutionStatus.Failed, 3, "unwrap on None", "thread 'main' panicked", "sink-a/w2", 7L),
            (record.Status, record.ExitCode, record.Error, record.StderrTail, record.Worker, record.OutputBytes));
        Assert.Equal([("resize", "failed")], counted);
    }

    [Fact]
    public async Task A_failed_run_without_stderr_is_described_without_it()
    {
        answer = (_, _) => Task.FromResult(new DispatchResponse { Result = new ExecuteResponse { Outcome = ExecutionOutcome.OutOfMemory } });

        var error = await Assert.ThrowsAsync<FunctionFailedException>(() => InvokeAsync());

        Assert.Equal($"Function 'resize' ran out of memory (limit 256 MiB) (execution {ToldId()})", error.Message);
        Assert.Equal(ExecutionStatus.Failed, Record().Status);
    }

    [Fact]
    public async Task A_caller_that_goes_away_stops_the_call_and_its_execution_is_recorded_cancelled()
    {
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        answer = async (_, token) =>
        {
            dispatched.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                // As the real client ends a call its caller cancelled.
                throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
            }

            throw new InvalidOperationException("unreachable");
        };
        using var giveUp = new CancellationTokenSource();

        var call = InvokeAsync(cancellationToken: giveUp.Token);
        await dispatched.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await giveUp.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal(
            (ExecutionStatus.Cancelled, "The caller went away before the run ended; the run was stopped."),
            (Record().Status, Record().Error));
        Assert.Equal([("resize", "cancelled")], counted);
    }

    [Fact]
    public async Task A_caller_that_went_away_is_recorded_cancelled_whatever_the_scheduler_then_answered()
    {
        using var giveUp = new CancellationTokenSource();
        answer = async (_, _) =>
        {
            await giveUp.CancelAsync();
            throw new RpcException(new Status(StatusCode.Unavailable, "the scheduler is restarting"));
        };

        var error = await Assert.ThrowsAsync<RpcException>(() => InvokeAsync(cancellationToken: giveUp.Token));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode); // not turned into a mesh failure
        Assert.Equal(ExecutionStatus.Cancelled, Record().Status);
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_refused_before_anything_is_resolved_told_or_sent()
    {
        var error = await Assert.ThrowsAsync<PayloadTooLargeException>(() => InvokeAsync(new string('x', 1025)));

        Assert.Equal("Payload of 1025 bytes exceeds the limit of 1024 bytes.", error.Message);
        Assert.Empty(versions.Lookups);
        Assert.Empty(toldIds);
        Assert.Empty(scheduler.Calls);
        Assert.Empty(counted);
    }

    [Fact]
    public async Task A_payload_of_exactly_the_limit_runs()
    {
        await InvokeAsync(new string('x', 1024));

        Assert.Equal(1024, Sent().Payload.Length);
        Assert.Equal((ExecutionStatus.Succeeded, 1024L), (Record().Status, Record().InputBytes));
    }

    [Fact]
    public async Task A_function_that_does_not_resolve_fails_before_an_id_is_given_or_anything_sent()
    {
        await Assert.ThrowsAsync<FunctionNotFoundException>(
            () => invoker.InvokeAsync(TenantId, "missing", 2, Bytes("input"), toldIds.Enqueue, CancellationToken.None));

        Assert.Equal([(TenantId, "missing", 2)], versions.Lookups);
        Assert.Empty(toldIds);
        Assert.Empty(scheduler.Calls);
        Assert.Empty(counted);
    }

    [Fact]
    public async Task Each_invocation_gets_its_own_id()
    {
        await InvokeAsync();
        await InvokeAsync();

        var ids = toldIds.ToArray();
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Equal(ids, scheduler.Calls.Select(c => ((DispatchRequest)c.Request!).ExecutionId));
    }
}
