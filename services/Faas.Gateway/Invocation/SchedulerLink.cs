using System.Globalization;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Invocation;

/// <summary>
/// The gateway's <c>Dispatch</c> calls to the scheduler (<see cref="MultiplexedLink{TRequest, TResponse, TStreamRequest, TStreamResponse}"/>
/// on <c>DispatchStream</c>, section "Gateway:SchedulerStreams"). The request carries the execution id and the traceparent;
/// a failure keeps its status and <c>retry-after</c> trailer on either path.
/// </summary>
public sealed class SchedulerLink(Protos.V1.Scheduler.SchedulerClient client, IOptions<MultiplexingOptions> options)
    : MultiplexedLink<DispatchRequest, DispatchResponse, DispatchStreamRequest, DispatchStreamResponse>(
        options.Value, token => client.DispatchStream(cancellationToken: token))
{
    private const string RetryAfterTrailer = Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader;

    public Task<DispatchResponse> DispatchAsync(DispatchRequest request, CancellationToken cancellationToken) =>
        CallAsync(request, DateTime.MaxValue, cancellationToken);

    protected override int PayloadBytes(DispatchRequest request) => request.Payload.Length;

    protected override DispatchStreamRequest Wrap(ulong callId, DispatchRequest request, uint timeoutMs) =>
        new() { CallId = callId, Request = request, TimeoutMs = timeoutMs };

    protected override DispatchResponse Unwrap(DispatchStreamResponse answer) => answer.Response ?? new DispatchResponse();

    protected override Task<DispatchResponse> CallUnaryAsync(DispatchRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        client.DispatchAsync(request, cancellationToken: cancellationToken).ResponseAsync;

    public override ulong CallIdOf(DispatchStreamResponse response) => response.CallId;

    public override DispatchStreamRequest CancelOf(ulong callId) => new() { CallId = callId, Cancel = true };

    public override RpcException? FailureOf(DispatchStreamResponse response) => response.StatusCode == 0
        ? null
        : new RpcException(
            new Status((StatusCode)response.StatusCode, response.StatusDetail),
            response.RetryAfterSeconds == 0 ? [] : new Metadata { { RetryAfterTrailer, response.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) } });
}
