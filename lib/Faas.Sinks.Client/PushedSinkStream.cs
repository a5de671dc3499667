using System.Diagnostics;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Faas.ServiceDefaults.Tracing;
using Grpc.Core;

namespace Faas.Sinks.Client;

/// <summary>
/// The serving side of <c>faas.v1.PushedSink/ExecuteStream</c>, the same for every pushed sink (the worker, the job sink):
/// each call on the stream runs as the unary <c>Execute</c> would, under a server span of its own in the caller's trace,
/// and a failure answers with its status and its not-run mark.
/// </summary>
public static class PushedSinkStream
{
    /// <summary>Serves the stream: <paramref name="execute"/> runs one call's request with the call's cancellation.</summary>
    public static Task ServeAsync(
        IAsyncStreamReader<ExecuteStreamRequest> requests, IServerStreamWriter<ExecuteStreamResponse> responses, ServerCallContext context,
        ActivitySource source, Func<ExecuteRequest, MultiplexedCall, Task<ExecuteResponse>> execute, CancellationToken stopping) =>
        MultiplexedServer.ServeAsync(
            requests, responses, context, Envelope.Instance,
            async (message, call) =>
            {
                var request = message.Request ?? new ExecuteRequest();
                using var activity = TraceContext.StartCall(source, "faas.v1.PushedSink/ExecuteStream call", request.Traceparent);
                return new ExecuteStreamResponse { CallId = message.CallId, Response = await execute(request, call).ConfigureAwait(false) };
            },
            stopping);

    private sealed class Envelope : IServerEnvelope<ExecuteStreamRequest, ExecuteStreamResponse>
    {
        public static readonly Envelope Instance = new();

        public ulong CallIdOf(ExecuteStreamRequest request) => request.CallId;

        public bool IsCancel(ExecuteStreamRequest request) => request.Cancel;

        public TimeSpan TimeoutOf(ExecuteStreamRequest request) => TimeSpan.FromMilliseconds(request.TimeoutMs);

        public ExecuteStreamResponse Failed(ulong callId, RpcException error) =>
            new() { CallId = callId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail, NotRun = SinkContract.NotRun(error) };
    }
}
