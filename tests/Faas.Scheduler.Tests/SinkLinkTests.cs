using System.Collections.Concurrent;
using Faas.Protos.V1;
using Faas.Sinks.Client;
using Faas.ServiceDefaults.Multiplexing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Faas.Scheduler.Tests;

/// <summary>
/// The scheduler's link to a push worker, against an in-process Runtime service that answers as the test directs:
/// calls multiplexed on one stream and matched by id, the unary path for large payloads and for workers without the
/// stream, and every way a call ends surfacing as the unary call's status.
/// </summary>
public sealed class SinkLinkTests : IAsyncLifetime
{
    private readonly ScriptedSink runtime = new();
    private WebApplication? app;
    private GrpcChannel? channel;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(runtime);
        app = builder.Build();
        app.MapGrpcService<ScriptedSink>();
        await app.StartAsync();
        channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
    }

    private SinkLink Link(MultiplexingOptions? options = null) => new(new Protos.V1.PushedSink.PushedSinkClient(channel!), options ?? new MultiplexingOptions());

    private static ExecuteRequest Request(string payload, string executionId = "exec") =>
        new() { Function = new FunctionSpec { Name = "f" }, Payload = ByteString.CopyFromUtf8(payload), ExecutionId = executionId };

    private static DateTime In(TimeSpan time) => DateTime.UtcNow + time;

    [Fact]
    public async Task Small_calls_share_one_stream_and_each_gets_its_own_answer()
    {
        using var link = Link();

        var calls = Enumerable.Range(0, 40).Select(i =>
            link.ExecuteAsync(Request($"echo {i}", $"exec-{i}"), In(TimeSpan.FromSeconds(30)), CancellationToken.None)).ToList();
        var responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"echo {i} from exec-{i}"), responses.Select(r => r.Output.ToStringUtf8()));
        Assert.Equal(1, runtime.StreamsOpened);
        Assert.Equal(0, runtime.UnaryCalls);
    }

    [Fact]
    public async Task A_payload_over_the_limit_goes_unary_and_so_does_everything_when_streams_are_off()
    {
        using var link = Link(new MultiplexingOptions { MaxStreamedPayloadBytes = 16 });
        using var unaryOnly = Link(new MultiplexingOptions { Enabled = false });

        var large = await link.ExecuteAsync(Request("echo and more than sixteen bytes", "exec-large"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var small = await link.ExecuteAsync(Request("echo", "exec-small"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var off = await unaryOnly.ExecuteAsync(Request("echo", "exec-off"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal("echo and more than sixteen bytes from exec-large (unary)", large.Output.ToStringUtf8());
        Assert.Equal("echo from exec-small", small.Output.ToStringUtf8());
        Assert.Equal("echo from exec-off (unary)", off.Output.ToStringUtf8());
        Assert.Equal((1, 2), (runtime.StreamsOpened, runtime.UnaryCalls));
    }

    [Fact]
    public async Task A_refusal_marked_not_run_keeps_its_mark_on_the_stream_and_unary()
    {
        using var link = Link(new MultiplexingOptions { MaxStreamedPayloadBytes = 11 });

        var streamed = await Assert.ThrowsAsync<RpcException>(() => link.ExecuteAsync(Request("not-run 14", "exec-s"), In(TimeSpan.FromSeconds(30)), CancellationToken.None));
        var unary = await Assert.ThrowsAsync<RpcException>(() => link.ExecuteAsync(Request("not-run 0014", "exec-u"), In(TimeSpan.FromSeconds(30)), CancellationToken.None));
        var plain = await Assert.ThrowsAsync<RpcException>(() => link.ExecuteAsync(Request("status 14", "exec-p"), In(TimeSpan.FromSeconds(30)), CancellationToken.None));

        Assert.Equal((StatusCode.Unavailable, "nothing ran", true), (streamed.StatusCode, streamed.Status.Detail, SinkContract.NotRun(streamed)));
        Assert.Equal((StatusCode.Unavailable, true), (unary.StatusCode, SinkContract.NotRun(unary)));
        Assert.False(SinkContract.NotRun(plain));
        Assert.Equal((1, 1), (runtime.StreamsOpened, runtime.UnaryCalls));
    }

    [Fact]
    public async Task A_worker_without_the_stream_is_called_unary()
    {
        runtime.StreamUnimplemented = true;
        using var link = Link();

        var first = await link.ExecuteAsync(Request("echo", "exec-1"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var second = await link.ExecuteAsync(Request("echo", "exec-2"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal("echo from exec-1 (unary)", first.Output.ToStringUtf8());
        Assert.Equal("echo from exec-2 (unary)", second.Output.ToStringUtf8());
        Assert.False(link.Streams);
    }

    [Fact]
    public async Task A_call_the_worker_refuses_fails_with_the_workers_status()
    {
        using var link = Link();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            link.ExecuteAsync(Request("status 5", "exec-1"), In(TimeSpan.FromSeconds(30)), CancellationToken.None));
        var after = await link.ExecuteAsync(Request("echo", "exec-2"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("refused by the script", error.Status.Detail);
        Assert.Equal("echo from exec-2", after.Output.ToStringUtf8());
        Assert.Equal(1, runtime.StreamsOpened);
    }

    [Fact]
    public async Task A_call_past_its_deadline_or_cancelled_ends_as_a_unary_call_would_and_the_worker_is_told()
    {
        using var link = Link();
        using var giveUp = new CancellationTokenSource();

        var late = await Assert.ThrowsAsync<RpcException>(() =>
            link.ExecuteAsync(Request("hang", "exec-late"), In(TimeSpan.FromMilliseconds(100)), CancellationToken.None));
        var cancelled = link.ExecuteAsync(Request("hang", "exec-cancelled"), In(TimeSpan.FromSeconds(30)), giveUp.Token);
        await runtime.WaitForHangingAsync(1);
        giveUp.Cancel();
        var cancelledError = await Assert.ThrowsAsync<RpcException>(() => cancelled);

        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
        Assert.Equal(StatusCode.Cancelled, cancelledError.StatusCode);
        await runtime.WaitForCancelsAsync(2);
        Assert.Equal("echo from exec-3", (await link.ExecuteAsync(Request("echo", "exec-3"), In(TimeSpan.FromSeconds(30)), CancellationToken.None)).Output.ToStringUtf8());
    }

    [Fact]
    public async Task A_cancelled_call_ends_only_once_the_worker_has_stopped_its_run()
    {
        using var link = Link();
        using var giveUp = new CancellationTokenSource();
        var cancelled = link.ExecuteAsync(Request("linger", "exec-lingering"), In(TimeSpan.FromSeconds(30)), giveUp.Token);
        await runtime.WaitForHangingAsync(1);

        giveUp.Cancel();
        await runtime.WaitForCancelsAsync(1);

        // The worker was told, but its run has not stopped yet: what the caller holds for the call stays held.
        Assert.False(cancelled.IsCompleted);
        runtime.EndLingeringRuns();
        var error = await Assert.ThrowsAsync<RpcException>(() => cancelled);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task Calls_in_flight_when_the_stream_breaks_fail_unavailable_and_the_next_call_opens_a_new_stream()
    {
        using var link = Link();
        var hanging = link.ExecuteAsync(Request("hang", "exec-1"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);
        await runtime.WaitForHangingAsync(1);

        runtime.BreakStreams();
        var error = await Assert.ThrowsAsync<RpcException>(() => hanging);
        var next = await link.ExecuteAsync(Request("echo", "exec-2"), In(TimeSpan.FromSeconds(30)), CancellationToken.None);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("echo from exec-2", next.Output.ToStringUtf8());
        Assert.Equal(2, runtime.StreamsOpened);
    }

    [Fact]
    public async Task A_stream_past_its_lifetime_is_replaced_and_the_old_one_ends_once_its_calls_answered()
    {
        using var link = Link(new MultiplexingOptions { StreamLifetime = TimeSpan.FromMilliseconds(1) });

        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(5);
            Assert.Equal($"echo from exec-{i}", (await link.ExecuteAsync(Request("echo", $"exec-{i}"), In(TimeSpan.FromSeconds(30)), CancellationToken.None)).Output.ToStringUtf8());
        }

        Assert.Equal(3, runtime.StreamsOpened);
        await runtime.WaitForStreamsEndedAsync(2);
    }

    public async Task DisposeAsync()
    {
        channel?.Dispose();
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>
    /// A Runtime service whose answers the payload directs: "echo…" answers the payload and execution id, "status N"
    /// fails with status N, "hang" waits until cancelled, "linger" also waits, once cancelled, until the test ends it.
    /// </summary>
    private sealed class ScriptedSink : Protos.V1.PushedSink.PushedSinkBase
    {
        private readonly ConcurrentBag<ServerCallContext> streams = [];
        private int streamsOpened;
        private int streamsEnded;
        private int unaryCalls;
        private int hanging;
        private int cancels;

        private readonly TaskCompletionSource lingering = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool StreamUnimplemented { get; set; }

        public void EndLingeringRuns() => lingering.TrySetResult();

        public int StreamsOpened => Volatile.Read(ref streamsOpened);

        public int UnaryCalls => Volatile.Read(ref unaryCalls);

        public Task WaitForHangingAsync(int count) => WaitUntilAsync(() => Volatile.Read(ref hanging) >= count);

        public Task WaitForCancelsAsync(int count) => WaitUntilAsync(() => Volatile.Read(ref cancels) >= count);

        public Task WaitForStreamsEndedAsync(int count) => WaitUntilAsync(() => Volatile.Read(ref streamsEnded) >= count);

        public void BreakStreams()
        {
            // As a worker that dies does: the connection goes, with calls unanswered.
            foreach (var stream in streams)
            {
                stream.GetHttpContext().Abort();
            }
        }

        public override async Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref unaryCalls);
            var (response, status) = await AnswerAsync(request, request.ExecutionId, context.CancellationToken);
            return status is { } failed
                ? throw (NotRun(request) ? SinkContract.NotRunError(failed.StatusCode, failed.Detail) : new RpcException(failed))
                : WithSuffix(response!, " (unary)");
        }

        public override async Task ExecuteStream(
            IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context)
        {
            if (StreamUnimplemented)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "no ExecuteStream here"));
            }

            Interlocked.Increment(ref streamsOpened);
            var broken = context.CancellationToken;
            streams.Add(context);
            var writeGate = new SemaphoreSlim(1, 1);
            var running = new ConcurrentDictionary<ulong, CancellationTokenSource>();
            var answers = new List<Task>();
            try
            {
                while (await requestStream.MoveNext(broken))
                {
                    var message = requestStream.Current;
                    if (message.Cancel)
                    {
                        Interlocked.Increment(ref cancels);
                        if (running.TryGetValue(message.CallId, out var call))
                        {
                            await call.CancelAsync();
                        }

                        continue;
                    }

                    var cancellation = CancellationTokenSource.CreateLinkedTokenSource(broken);
                    running[message.CallId] = cancellation;
                    answers.Add(Task.Run(async () =>
                    {
                        var (response, status) = await AnswerAsync(message.Request, message.Request.ExecutionId, cancellation.Token);
                        var answer = new ExecuteStreamResponse { CallId = message.CallId, Response = response };
                        if (status is { } failed)
                        {
                            answer.StatusCode = (int)failed.StatusCode;
                            answer.StatusDetail = failed.Detail;
                            answer.NotRun = NotRun(message.Request);
                        }

                        await writeGate.WaitAsync();
                        try
                        {
                            await responseStream.WriteAsync(answer);
                        }
                        finally
                        {
                            writeGate.Release();
                        }
                    }));
                }

                await Task.WhenAll(answers);
            }
            finally
            {
                Interlocked.Increment(ref streamsEnded);
            }

        }

        /// <summary>"not-run &lt;code&gt;": the call is refused with that status and the not-run mark.</summary>
        private static bool NotRun(ExecuteRequest request) => request.Payload.ToStringUtf8().StartsWith("not-run ", StringComparison.Ordinal);

        private async Task<(ExecuteResponse? Response, Status? Status)> AnswerAsync(ExecuteRequest request, string executionId, CancellationToken cancellationToken)
        {
            var payload = request.Payload.ToStringUtf8();
            if (payload.StartsWith("status ", StringComparison.Ordinal))
            {
                return (null, new Status((StatusCode)int.Parse(payload[7..], System.Globalization.CultureInfo.InvariantCulture), "refused by the script"));
            }

            if (payload.StartsWith("not-run ", StringComparison.Ordinal))
            {
                return (null, new Status((StatusCode)int.Parse(payload[8..], System.Globalization.CultureInfo.InvariantCulture), "nothing ran"));
            }

            if (payload is "hang" or "linger")
            {
                Interlocked.Increment(ref hanging);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    if (payload == "linger")
                    {
                        await lingering.Task;
                    }

                    return (null, new Status(StatusCode.Cancelled, "cancelled"));
                }
            }

            return (new ExecuteResponse { Outcome = Protos.V1.ExecutionOutcome.Ok, Output = ByteString.CopyFromUtf8($"{payload} from {executionId}") }, null);
        }

        private static ExecuteResponse WithSuffix(ExecuteResponse response, string suffix)
        {
            response.Output = ByteString.CopyFromUtf8(response.Output.ToStringUtf8() + suffix);
            return response;
        }

        private static async Task WaitUntilAsync(Func<bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!condition())
            {
                await Task.Delay(5, timeout.Token);
            }
        }
    }
}
