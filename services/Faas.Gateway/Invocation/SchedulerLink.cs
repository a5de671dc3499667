using System.Diagnostics;
using System.Globalization;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Invocation;

/// <summary>
/// The gateway's <c>Dispatch</c> calls to the scheduler: multiplexed on one long-lived <c>DispatchStream</c>
/// (<see cref="MultiplexedClient{TRequest, TResponse}"/>, section "Gateway:SchedulerStreams"); a call with a large payload
/// goes as a unary <c>Dispatch</c>, so that it does not hold up the small ones sharing the stream, and so does every call
/// when the scheduler does not offer the stream. Either way a call ends as the unary call would: its
/// <see cref="DispatchResponse"/>, or an <see cref="RpcException"/> with the same status and <c>retry-after</c> trailer.
/// </summary>
public sealed class SchedulerLink : IDisposable
{
    private const string RetryAfterTrailer = Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader;
    private readonly Protos.V1.Scheduler.SchedulerClient client;
    private readonly MultiplexingOptions options;
    private readonly MultiplexedClient<DispatchStreamRequest, DispatchStreamResponse> stream;

    public SchedulerLink(Protos.V1.Scheduler.SchedulerClient client, IOptions<MultiplexingOptions> options)
    {
        this.client = client;
        this.options = options.Value;
        stream = new(token => client.DispatchStream(cancellationToken: token), Envelope.Instance, this.options.StreamLifetime);
    }

    public async Task<DispatchResponse> DispatchAsync(DispatchRequest request, string traceId, CancellationToken cancellationToken)
    {
        if (options.Enabled && !stream.Unsupported && request.Payload.Length <= options.MaxStreamedPayloadBytes)
        {
            var traceparent = Activity.Current?.Id ?? "";
            var answer = await stream.CallAsync(
                (callId, timeout) => new DispatchStreamRequest
                {
                    CallId = callId, Request = request, TraceId = traceId, Traceparent = traceparent, TimeoutMs = MultiplexingOptions.TimeoutMs(timeout),
                },
                DateTime.MaxValue, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                return answer.Response ?? new DispatchResponse();
            }

            // The scheduler has no DispatchStream: nothing ran.
        }

        return await client.DispatchAsync(request, new Metadata { { "x-trace-id", traceId } }, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    public void Dispose() => stream.Dispose();

    private sealed class Envelope : IClientEnvelope<DispatchStreamRequest, DispatchStreamResponse>
    {
        public static readonly Envelope Instance = new();

        public ulong CallIdOf(DispatchStreamResponse response) => response.CallId;

        public DispatchStreamRequest CancelOf(ulong callId) => new() { CallId = callId, Cancel = true };

        public RpcException? FailureOf(DispatchStreamResponse response) => response.StatusCode == 0
            ? null
            : new RpcException(
                new Status((StatusCode)response.StatusCode, response.StatusDetail),
                response.RetryAfterSeconds == 0 ? [] : new Metadata { { RetryAfterTrailer, response.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) } });
    }
}
