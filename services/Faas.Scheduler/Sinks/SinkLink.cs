using System.Diagnostics;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Grpc.Core;

namespace Faas.Scheduler.Sinks;

/// <summary>
/// The scheduler's <c>Execute</c> calls to one push worker: multiplexed on one long-lived <c>ExecuteStream</c>
/// (<see cref="MultiplexedClient{TRequest, TResponse}"/>); a call with a large payload goes as a unary <c>Execute</c> so that
/// it does not hold up the small ones sharing the stream, and so does every call to a worker that does not offer the stream.
/// Either way a call ends as the unary call would: its <see cref="ExecuteResponse"/> or an <see cref="RpcException"/>.
/// </summary>
public sealed class SinkLink(Protos.V1.PushedSink.PushedSinkClient client, MultiplexingOptions options) : IDisposable
{
    private readonly MultiplexedClient<ExecuteStreamRequest, ExecuteStreamResponse> stream =
        new(token => client.ExecuteStream(cancellationToken: token), Envelope.Instance, options.StreamLifetime);

    /// <summary>Whether the next small call would go on the stream (false once the worker said it has none).</summary>
    public bool Streams => options.Enabled && !stream.Unsupported;

    public async Task<ExecuteResponse> ExecuteAsync(
        ExecuteRequest request, string executionId, string traceId, DateTime deadline, CancellationToken cancellationToken)
    {
        if (Streams && request.Payload.Length <= options.MaxStreamedPayloadBytes)
        {
            var traceparent = Activity.Current?.Id ?? "";
            var answer = await stream.CallAsync(
                (callId, timeout) => new ExecuteStreamRequest
                {
                    CallId = callId, Request = request, ExecutionId = executionId, TraceId = traceId, Traceparent = traceparent,
                    TimeoutMs = MultiplexingOptions.TimeoutMs(timeout),
                },
                deadline, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                return answer.Response ?? new ExecuteResponse();
            }

            // The worker has no ExecuteStream (an external sink built against an older contract): nothing ran.
        }

        return await client.ExecuteAsync(
            request, new Metadata { { "x-execution-id", executionId }, { "x-trace-id", traceId } }, deadline, cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    public void Dispose() => stream.Dispose();

    private sealed class Envelope : IClientEnvelope<ExecuteStreamRequest, ExecuteStreamResponse>
    {
        public static readonly Envelope Instance = new();

        public ulong CallIdOf(ExecuteStreamResponse response) => response.CallId;

        public ExecuteStreamRequest CancelOf(ulong callId) => new() { CallId = callId, Cancel = true };

        public RpcException? FailureOf(ExecuteStreamResponse response) =>
            response.StatusCode == 0 ? null
            : response.NotRun ? SinkContract.NotRunError((StatusCode)response.StatusCode, response.StatusDetail)
            : new RpcException(new Status((StatusCode)response.StatusCode, response.StatusDetail));
    }
}
