using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Grpc.Core;

namespace Faas.Bench.Relay;

/// <summary>
/// faas.v1.Runtime, forwarded: a unary <c>Execute</c> (the gateway's front door) or a call on an <c>ExecuteStream</c>
/// (the scheduler's) goes on, unchanged, on one multiplexed <c>ExecuteStream</c> to the next hop, the way the mesh's
/// links carry it. Nothing is authenticated, checked, queued, placed or recorded.
/// </summary>
public sealed class RelayService(NextHop next, IHostApplicationLifetime lifetime) : Protos.V1.Runtime.RuntimeBase
{
    public override async Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context)
    {
        var answer = await next.CallAsync(request, "", context.Deadline, context.CancellationToken).ConfigureAwait(false);
        return answer.Response ?? new ExecuteResponse();
    }

    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        MultiplexedServer.ServeAsync(requestStream, responseStream, context, Envelope.Instance, ForwardAsync, lifetime.ApplicationStopping);

    private async Task<ExecuteStreamResponse> ForwardAsync(ExecuteStreamRequest message, MultiplexedCall call)
    {
        var deadline = message.TimeoutMs == 0 ? DateTime.MaxValue : DateTime.UtcNow.AddMilliseconds(message.TimeoutMs);
        var answer = await next.CallAsync(message.Request, message.ExecutionId, deadline, call.Token).ConfigureAwait(false);
        return new ExecuteStreamResponse { CallId = message.CallId, Response = answer.Response };
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

/// <summary>The multiplexed <c>ExecuteStream</c> to the next hop.</summary>
public sealed class NextHop(Protos.V1.Runtime.RuntimeClient client) : IDisposable
{
    private readonly MultiplexedClient<ExecuteStreamRequest, ExecuteStreamResponse> stream =
        new(token => client.ExecuteStream(cancellationToken: token), Envelope.Instance, TimeSpan.FromHours(1));

    public async Task<ExecuteStreamResponse> CallAsync(ExecuteRequest request, string executionId, DateTime deadline, CancellationToken cancellationToken) =>
        await stream.CallAsync(
            (callId, timeout) => new ExecuteStreamRequest
            {
                CallId = callId, Request = request, ExecutionId = executionId, TimeoutMs = MultiplexingOptions.TimeoutMs(timeout),
            },
            deadline, cancellationToken).ConfigureAwait(false)
        ?? throw new RpcException(new Status(StatusCode.Unimplemented, "The next hop has no ExecuteStream."));

    public void Dispose() => stream.Dispose();

    private sealed class Envelope : IClientEnvelope<ExecuteStreamRequest, ExecuteStreamResponse>
    {
        public static readonly Envelope Instance = new();

        public ulong CallIdOf(ExecuteStreamResponse response) => response.CallId;

        public ExecuteStreamRequest CancelOf(ulong callId) => new() { CallId = callId, Cancel = true };

        public RpcException? FailureOf(ExecuteStreamResponse response) =>
            response.StatusCode == 0 ? null : new RpcException(new Status((StatusCode)response.StatusCode, response.StatusDetail));
    }
}
