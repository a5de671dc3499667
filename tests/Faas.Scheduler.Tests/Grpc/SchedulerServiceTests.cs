using Faas.Protos.V1;
using Faas.Scheduler.Grpc;
using Faas.Scheduler.Tests.Fakes;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using static Faas.Scheduler.Tests.Fakes.DispatcherHarness;

namespace Faas.Scheduler.Tests.Grpc;

/// <summary>
/// The scheduler's gRPC surface, called directly with a test call context over a real dispatcher on fake sinks: what it
/// refuses as bad input, and the status code (and retry-after) each way a dispatch ends becomes, unary and multiplexed.
/// </summary>
public sealed class SchedulerServiceTests : IDisposable
{
    private const string RetryAfter = "retry-after";
    private readonly DispatcherHarness harness = new();

    public void Dispose() => harness.Dispose();

    private SchedulerService Service() => new(harness.Dispatcher, harness.Leases, new StillRunning());

    private static DispatchRequest Request(FunctionSpec? function) => new()
    {
        ExecutionId = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", Function = function, Payload = ByteString.CopyFromUtf8("input"),
    };

    private async Task<RpcException> DispatchFails(FunctionSpec? function) =>
        await Assert.ThrowsAsync<RpcException>(() => Service().Dispatch(Request(function), new TestServerCallContext()));

    [Fact]
    public async Task Dispatch_answers_with_the_result_of_the_sink_it_ran_on()
    {
        harness.AddSink("a", (request, _) => Ok($"{request.Payload.ToStringUtf8()} done", "w-a"));

        var response = await Service().Dispatch(Request(Function()), new TestServerCallContext());

        Assert.Equal(("input done", "w-a"), (response.Result.Output.ToStringUtf8(), response.Result.Worker));
    }

    public static TheoryData<string, FunctionSpec?> BadRequests => new()
    {
        { "no function", null },
        { "a function without its module", new FunctionSpec { TenantId = TenantId, Name = "f" } },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_request_without_a_function_or_its_module_is_an_invalid_argument_and_reaches_no_sink(string why, FunctionSpec? function)
    {
        var worker = harness.AddSink("a", (_, _) => Ok("never"));

        var error = await DispatchFails(function);

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, why);
        Assert.Equal("A dispatch needs a function with a module.", error.Status.Detail);
        Assert.Equal((0, 0), (worker.Calls, harness.Tenants.Held));
    }

    [Theory]
    [InlineData("", "", "A dispatch needs its execution id (execution_id).")]
    [InlineData("3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", "tenant-1", "A dispatch needs its function's tenant id (a UUID); got 'tenant-1'.")]
    public async Task A_request_without_its_execution_id_or_with_a_bad_tenant_is_an_invalid_argument(string executionId, string tenantId, string detail)
    {
        var worker = harness.AddSink("a", (_, _) => Ok("never"));
        var function = Function();
        if (tenantId.Length > 0)
        {
            function.TenantId = tenantId;
        }

        var request = Request(function);
        request.ExecutionId = executionId;
        var error = await Assert.ThrowsAsync<RpcException>(() => Service().Dispatch(request, new TestServerCallContext()));

        Assert.Equal((StatusCode.InvalidArgument, detail), (error.StatusCode, error.Status.Detail));
        Assert.Equal((0, 0), (worker.Calls, harness.Tenants.Held));
    }

    [Fact]
    public async Task A_full_function_queue_is_resource_exhausted_with_a_retry_after()
    {
        var function = Function(maxConcurrency: 1, queueCapacity: 0);
        var release = new TaskCompletionSource<ExecuteResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.AddSink("a", (_, _) => release.Task);
        var running = Service().Dispatch(Request(function), new TestServerCallContext());

        var error = await DispatchFails(function);
        release.SetResult(new ExecuteResponse { Outcome = ExecutionOutcome.Ok });
        await running;

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal($"The queue of function '{TenantId}/f' is full (0 waiting); retry after 1 s.", error.Status.Detail);
        Assert.Equal("1", error.Trailers.GetValue(RetryAfter));
    }

    [Fact]
    public async Task A_tenant_over_its_quota_is_resource_exhausted_with_a_retry_after()
    {
        harness.Tenants.Limit = 0;
        harness.AddSink("a", (_, _) => Ok("never"));

        var error = await DispatchFails(Function());

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("quota of 0 concurrent executions", error.Status.Detail);
        Assert.Equal("1", error.Trailers.GetValue(RetryAfter));
    }

    [Fact]
    public async Task A_full_backlog_at_the_sink_manager_is_resource_exhausted_with_a_retry_after()
    {
        harness.PullAnswer = (_, _) => Fails(Error(StatusCode.ResourceExhausted, "too many tasks wait"));

        var error = await DispatchFails(Function());

        Assert.Equal((StatusCode.ResourceExhausted, "too many tasks wait"), (error.StatusCode, error.Status.Detail));
        Assert.Equal("1", error.Trailers.GetValue(RetryAfter));
    }

    [Fact]
    public async Task No_reachable_sink_is_unavailable()
    {
        harness.AddSink("a", (_, _) => Fails(ConnectionRefused()));

        var error = await DispatchFails(Function());

        Assert.Equal((StatusCode.Unavailable, "No sink that runs 'wasm' could be reached."), (error.StatusCode, error.Status.Detail));
        Assert.Null(error.Trailers.GetValue(RetryAfter));
    }

    [Fact]
    public async Task A_function_no_sink_can_run_is_a_failed_precondition()
    {
        harness.PullAnswer = (_, _) => Fails(Error(StatusCode.FailedPrecondition, "no sink runs 'python'"));

        var error = await DispatchFails(Function());

        Assert.Equal((StatusCode.FailedPrecondition, "no sink runs 'python'"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task A_sink_lost_during_the_call_is_unavailable_with_the_sink_named()
    {
        harness.AddSink("a", (_, _) => Fails(Error(StatusCode.Internal, "stream reset")));

        var error = await DispatchFails(Function(idempotent: false));

        Assert.Equal((StatusCode.Unavailable, "Sink a failed during the invocation: stream reset"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task A_sink_that_refused_before_running_is_unavailable_with_its_reason()
    {
        harness.AddSink("job", (_, _) => Fails(SinkContract.NotRunError(StatusCode.FailedPrecondition, "no container runtime")));

        var error = await DispatchFails(Function());

        Assert.Equal((StatusCode.Unavailable, "Sink job could not run the invocation: no container runtime"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Any_other_worker_error_keeps_the_workers_status()
    {
        harness.AddSink("a", (_, _) => Fails(Error(StatusCode.NotFound, "module not found")));

        var error = await DispatchFails(Function());

        Assert.Equal((StatusCode.NotFound, "module not found"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Multiplexed_calls_each_answer_with_their_result_or_their_status_and_retry_after()
    {
        harness.AddSink("a", (request, _) => Ok($"{request.Payload.ToStringUtf8()} done"));
        var backlogged = Function("backlogged");
        backlogged.Mode = ExecutionMode.Job; // no pushed sink serves JOB: it goes to the sink manager, whose backlog is full
        harness.PullAnswer = (_, _) => Fails(Error(StatusCode.ResourceExhausted, "too many tasks wait"));
        var requests = new ListReader<DispatchStreamRequest>(
            new DispatchStreamRequest { CallId = 1, Request = Request(Function()) },
            new DispatchStreamRequest { CallId = 2, Request = Request(null) },
            new DispatchStreamRequest { CallId = 3, Request = Request(backlogged) });
        var responses = new ListWriter<DispatchStreamResponse>();

        await Service().DispatchStream(requests, responses, new TestServerCallContext()).WaitAsync(TimeSpan.FromSeconds(10));

        var answers = responses.Written.ToDictionary(r => r.CallId);
        Assert.Equal(3, answers.Count);
        Assert.Equal(((int)StatusCode.OK, "input done"), (answers[1].StatusCode, answers[1].Response.Result.Output.ToStringUtf8()));
        Assert.Equal(((int)StatusCode.InvalidArgument, "A dispatch needs a function with a module.", 0u), (answers[2].StatusCode, answers[2].StatusDetail, answers[2].RetryAfterSeconds));
        Assert.Equal(((int)StatusCode.ResourceExhausted, 1u), (answers[3].StatusCode, answers[3].RetryAfterSeconds));
        Assert.Null(answers[3].Response);
    }

    /// <summary>A host that is not stopping.</summary>
    private sealed class StillRunning : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }

    /// <summary>A request stream that yields these messages, then ends.</summary>
    private sealed class ListReader<T>(params T[] messages) : IAsyncStreamReader<T>
    {
        private int next = -1;

        public T Current => messages[next];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++next < messages.Length);
    }

    /// <summary>A response stream that keeps what is written.</summary>
    private sealed class ListWriter<T> : IServerStreamWriter<T>
    {
        private readonly List<T> written = [];

        public WriteOptions? WriteOptions { get; set; }

        public IReadOnlyList<T> Written
        {
            get
            {
                lock (written)
                {
                    return [.. written];
                }
            }
        }

        public Task WriteAsync(T message)
        {
            lock (written)
            {
                written.Add(message);
            }

            return Task.CompletedTask;
        }
    }
}
