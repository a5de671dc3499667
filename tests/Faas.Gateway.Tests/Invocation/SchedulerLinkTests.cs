using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Faas.Gateway.Invocation;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Tests.Invocation;

/// <summary>
/// The gateway's link to the scheduler, against an in-process Scheduler service that serves the stream with the
/// platform's own multiplexing and answers as the payload directs: dispatches multiplexed on one stream, large payloads
/// and schedulers without the stream going unary, and a failure ending the same way on either path (status, detail
/// and the <c>retry-after</c> the gateway turns into a 429's header).
/// </summary>
public sealed class SchedulerLinkTests : IAsyncLifetime
{
    private readonly ScriptedScheduler scheduler = new();
    private WebApplication? app;
    private GrpcChannel? channel;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(scheduler);
        app = builder.Build();
        app.MapGrpcService<ScriptedScheduler>();
        await app.StartAsync();
        channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
    }

    public async Task DisposeAsync()
    {
        channel?.Dispose();
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    private SchedulerLink Link(MultiplexingOptions? options = null) =>
        new(new Protos.V1.Scheduler.SchedulerClient(channel!), Options.Create(options ?? new MultiplexingOptions()));

    private static DispatchRequest Request(string payload, string executionId, string traceparent = "") => new()
    {
        ExecutionId = executionId,
        Traceparent = traceparent,
        Function = new FunctionSpec { Name = "f", ModuleSha256 = new string('a', 64) },
        Payload = ByteString.CopyFromUtf8(payload),
    };

    private static string Output(DispatchResponse response) => response.Result.Output.ToStringUtf8();

    [Fact]
    public async Task Dispatches_share_one_stream_and_each_gets_its_own_answer_with_its_trace()
    {
        using var link = Link();

        var calls = Enumerable.Range(0, 40).Select(i => link.DispatchAsync(Request($"echo {i}", $"exec-{i}", $"trace-{i}"), CancellationToken.None)).ToList();
        var responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"echo {i} from exec-{i} in trace-{i} (stream)"), responses.Select(Output));
        Assert.Equal((1, 0), (scheduler.StreamsOpened, scheduler.UnaryCalls));
    }

    [Fact]
    public async Task The_callers_traceparent_travels_in_the_request_on_the_stream()
    {
        using var link = Link();
        using var span = new Activity("gateway call").SetIdFormat(ActivityIdFormat.W3C).Start();

        await link.DispatchAsync(Request("echo", "exec-1", span.Id!), CancellationToken.None);

        Assert.Equal(span.Id, Assert.Single(scheduler.Traceparents));
    }

    [Fact]
    public async Task A_payload_over_the_limit_goes_unary_with_its_trace_and_so_does_everything_when_streams_are_off()
    {
        using var link = Link(new MultiplexingOptions { MaxStreamedPayloadBytes = 16 });
        using var unaryOnly = Link(new MultiplexingOptions { Enabled = false });

        var large = await link.DispatchAsync(Request("echo and more than sixteen bytes", "exec-large", "t1"), CancellationToken.None);
        var small = await link.DispatchAsync(Request("echo", "exec-small", "t2"), CancellationToken.None);
        var off = await unaryOnly.DispatchAsync(Request("echo", "exec-off", "t3"), CancellationToken.None);

        Assert.Equal("echo and more than sixteen bytes from exec-large in t1 (unary)", Output(large));
        Assert.Equal("echo from exec-small in t2 (stream)", Output(small));
        Assert.Equal("echo from exec-off in t3 (unary)", Output(off));
        Assert.Equal((1, 2), (scheduler.StreamsOpened, scheduler.UnaryCalls));
    }

    [Fact]
    public async Task A_scheduler_without_the_stream_is_called_unary()
    {
        scheduler.StreamUnimplemented = true;
        using var link = Link();

        var first = await link.DispatchAsync(Request("echo", "exec-1", "t"), CancellationToken.None);
        var second = await link.DispatchAsync(Request("echo", "exec-2", "t"), CancellationToken.None);

        Assert.Equal("echo from exec-1 in t (unary)", Output(first));
        Assert.Equal("echo from exec-2 in t (unary)", Output(second));
        Assert.Equal(2, scheduler.UnaryCalls);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_full_queue_fails_with_its_status_detail_and_retry_after_on_either_path(bool streams)
    {
        using var link = Link(new MultiplexingOptions { Enabled = streams });

        var error = await Assert.ThrowsAsync<RpcException>(() => link.DispatchAsync(Request("full", "exec-1", "t"), CancellationToken.None));
        var after = await link.DispatchAsync(Request("echo", "exec-2", "t"), CancellationToken.None);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("the function's queue is full", error.Status.Detail);
        Assert.Equal("3", error.Trailers.GetValue("retry-after"));
        Assert.StartsWith("echo from exec-2", Output(after));
    }

    [Fact]
    public async Task A_caller_that_gives_up_cancels_its_dispatch_in_the_scheduler()
    {
        using var link = Link();
        using var giveUp = new CancellationTokenSource();
        var call = link.DispatchAsync(Request("hang", "exec-1", "t"), giveUp.Token);
        await scheduler.WaitForHangingAsync(1);

        await giveUp.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await scheduler.WaitForCancelledAsync(1);
    }

    /// <summary>
    /// A Scheduler whose answers the payload directs: "echo…" answers the payload, execution id and trace id, "full"
    /// fails as a full queue does, "hang" waits until cancelled.
    /// </summary>
    private sealed class ScriptedScheduler : Protos.V1.Scheduler.SchedulerBase
    {
        private int streamsOpened;
        private int unaryCalls;
        private int hanging;
        private int cancelled;

        public bool StreamUnimplemented { get; set; }

        public ConcurrentQueue<string> Traceparents { get; } = new();

        public int StreamsOpened => Volatile.Read(ref streamsOpened);

        public int UnaryCalls => Volatile.Read(ref unaryCalls);

        public Task WaitForHangingAsync(int count) => WaitUntilAsync(() => Volatile.Read(ref hanging) >= count);

        public Task WaitForCancelledAsync(int count) => WaitUntilAsync(() => Volatile.Read(ref cancelled) >= count);

        public override Task<DispatchResponse> Dispatch(DispatchRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref unaryCalls);
            return AnswerAsync(request, request.Traceparent, "unary", context.CancellationToken);
        }

        public override Task DispatchStream(
            IAsyncStreamReader<DispatchStreamRequest> requestStream, IServerStreamWriter<DispatchStreamResponse> responseStream, ServerCallContext context)
        {
            if (StreamUnimplemented)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "no DispatchStream here"));
            }

            Interlocked.Increment(ref streamsOpened);
            return MultiplexedServer.ServeAsync(requestStream, responseStream, context, Envelope.Instance, async (message, call) =>
            {
                Traceparents.Enqueue(message.Request.Traceparent);
                var response = await AnswerAsync(message.Request, message.Request.Traceparent, "stream", call.Token);
                return new DispatchStreamResponse { CallId = message.CallId, Response = response };
            }, CancellationToken.None);
        }

        private async Task<DispatchResponse> AnswerAsync(DispatchRequest request, string traceId, string path, CancellationToken cancellationToken)
        {
            var payload = request.Payload.ToStringUtf8();
            if (payload == "full")
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, "the function's queue is full"), new Metadata { { "retry-after", "3" } });
            }

            if (payload == "hang")
            {
                Interlocked.Increment(ref hanging);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    throw new RpcException(new Status(StatusCode.Cancelled, "cancelled"));
                }
            }

            return new DispatchResponse
            {
                Result = new ExecuteResponse { Outcome = ExecutionOutcome.Ok, Output = ByteString.CopyFromUtf8($"{payload} from {request.ExecutionId} in {traceId} ({path})") },
            };
        }

        private static async Task WaitUntilAsync(Func<bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!condition())
            {
                await Task.Delay(5, timeout.Token);
            }
        }

        private sealed class Envelope : IServerEnvelope<DispatchStreamRequest, DispatchStreamResponse>
        {
            public static readonly Envelope Instance = new();

            public ulong CallIdOf(DispatchStreamRequest request) => request.CallId;

            public bool IsCancel(DispatchStreamRequest request) => request.Cancel;

            public TimeSpan TimeoutOf(DispatchStreamRequest request) => TimeSpan.FromMilliseconds(request.TimeoutMs);

            public DispatchStreamResponse Failed(ulong callId, RpcException error) => new()
            {
                CallId = callId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail,
                RetryAfterSeconds = uint.TryParse(error.Trailers.GetValue("retry-after"), CultureInfo.InvariantCulture, out var seconds) ? seconds : 0,
            };
        }
    }
}
