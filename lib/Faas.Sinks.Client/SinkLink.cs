using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Grpc.Core;

namespace Faas.Sinks.Client;

/// <summary>
/// <c>Execute</c> calls to one pushed sink, the scheduler's and (on the one-hop path) the gateway's (<see cref="MultiplexedLink{TRequest, TResponse, TStreamRequest, TStreamResponse}"/>
/// on <c>ExecuteStream</c>). The request carries the execution id and the traceparent; a refusal marked not-run keeps its mark.
/// </summary>
public sealed class SinkLink(PushedSink.PushedSinkClient client, MultiplexingOptions options)
    : MultiplexedLink<ExecuteRequest, ExecuteResponse, ExecuteStreamRequest, ExecuteStreamResponse>(options, token => client.ExecuteStream(cancellationToken: token))
{
    public Task<ExecuteResponse> ExecuteAsync(ExecuteRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        CallAsync(request, deadline, cancellationToken);

    protected override int PayloadBytes(ExecuteRequest request) => request.Payload.Length;

    protected override ExecuteStreamRequest Wrap(ulong callId, ExecuteRequest request, uint timeoutMs) =>
        new() { CallId = callId, Request = request, TimeoutMs = timeoutMs };

    protected override ExecuteResponse Unwrap(ExecuteStreamResponse answer) => answer.Response ?? new ExecuteResponse();

    protected override Task<ExecuteResponse> CallUnaryAsync(ExecuteRequest request, DateTime deadline, CancellationToken cancellationToken) =>
        client.ExecuteAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync;

    public override ulong CallIdOf(ExecuteStreamResponse response) => response.CallId;

    public override ExecuteStreamRequest CancelOf(ulong callId) => new() { CallId = callId, Cancel = true };

    public override RpcException? FailureOf(ExecuteStreamResponse response) =>
        response.StatusCode == 0 ? null
        : response.NotRun ? SinkContract.NotRunError((StatusCode)response.StatusCode, response.StatusDetail)
        : new RpcException(new Status((StatusCode)response.StatusCode, response.StatusDetail));
}
