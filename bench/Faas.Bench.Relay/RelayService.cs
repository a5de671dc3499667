using Faas.Protos.V1;
using Faas.Scheduler.Sinks;
using Faas.ServiceDefaults.Multiplexing;
using Grpc.Core;

namespace Faas.Bench.Relay;

/// <summary>
/// faas.v1.PushedSink, forwarded: a unary <c>Execute</c> (the gateway's front door) or a call on an <c>ExecuteStream</c>
/// (the scheduler's) goes on, unchanged, to the next hop through the scheduler's own link to a worker
/// (<see cref="SinkLink"/>: one multiplexed <c>ExecuteStream</c>). Nothing is authenticated, checked, queued, placed
/// or recorded.
/// </summary>
public sealed class RelayService(SinkLink next, IHostApplicationLifetime lifetime) : Protos.V1.PushedSink.PushedSinkBase
{
    public override Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context) =>
        next.ExecuteAsync(request, context.RequestHeaders.GetValue("x-execution-id") ?? "", "", context.Deadline, context.CancellationToken);

    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        MultiplexedServer.ServeAsync(requestStream, responseStream, context, Envelope.Instance, ForwardAsync, lifetime.ApplicationStopping);

    private async Task<ExecuteStreamResponse> ForwardAsync(ExecuteStreamRequest message, MultiplexedCall call)
    {
        var deadline = message.TimeoutMs == 0 ? DateTime.MaxValue : DateTime.UtcNow.AddMilliseconds(message.TimeoutMs);
        var response = await next.ExecuteAsync(message.Request, message.ExecutionId, message.TraceId, deadline, call.Token).ConfigureAwait(false);
        return new ExecuteStreamResponse { CallId = message.CallId, Response = response };
    }

    private sealed class Envelope : IServerEnvelope<ExecuteStreamRequest, ExecuteStreamResponse>
    {
        public static readonly Envelope Instance = new();

        public ulong CallIdOf(ExecuteStreamRequest request) => request.CallId;

        public bool IsCancel(ExecuteStreamRequest request) => request.Cancel;

        public TimeSpan TimeoutOf(ExecuteStreamRequest request) => TimeSpan.FromMilliseconds(request.TimeoutMs);

        public ExecuteStreamResponse Failed(ulong callId, RpcException error) =>
            new() { CallId = callId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail };
    }
}
