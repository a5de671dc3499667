using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Faas.Sinks.Client;
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
        next.ExecuteAsync(request, context.Deadline, context.CancellationToken);

    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        PushedSinkStream.ServeAsync(requestStream, responseStream, context, RelayTelemetry.ActivitySource, ForwardAsync, lifetime.ApplicationStopping);

    private Task<ExecuteResponse> ForwardAsync(ExecuteRequest request, MultiplexedCall call) =>
        next.ExecuteAsync(request, call.Timeout == TimeSpan.Zero ? DateTime.MaxValue : DateTime.UtcNow + call.Timeout, call.Token);
}

/// <summary>The relay's trace source.</summary>
public static class RelayTelemetry
{
    public static readonly System.Diagnostics.ActivitySource ActivitySource = new("Faas.Bench.Relay");
}
