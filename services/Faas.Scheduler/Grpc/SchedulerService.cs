using System.Globalization;
using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Leases;
using Faas.Scheduler.Queues;
using Faas.ServiceDefaults.Multiplexing;
using Faas.ServiceDefaults.Tracing;
using Grpc.Core;

namespace Faas.Scheduler.Grpc;

/// <summary>gRPC adapter of the dispatcher, and the one place scheduler errors become status codes.</summary>
public sealed class SchedulerService(Dispatcher dispatcher, LeaseBroker leases, IHostApplicationLifetime lifetime) : Protos.V1.Scheduler.SchedulerBase
{
    private const string RetryAfterTrailer = Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader;

    public override async Task<DispatchResponse> Dispatch(DispatchRequest request, ServerCallContext context)
    {
        using var activity = TraceContext.StartCall(SchedulerTelemetry.ActivitySource, "faas.v1.Scheduler/Dispatch", request.Traceparent);
        return await RunAsync(request, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Dispatch, multiplexed (<see cref="MultiplexedServer"/>): each call answers when it ends, as the unary call would have.</summary>
    public override Task DispatchStream(
        IAsyncStreamReader<DispatchStreamRequest> requestStream, IServerStreamWriter<DispatchStreamResponse> responseStream, ServerCallContext context) =>
        MultiplexedServer.ServeAsync(requestStream, responseStream, context, StreamEnvelope.Instance, RunStreamedAsync, lifetime.ApplicationStopping);

    /// <summary>A gateway's slot leases (<see cref="LeaseBroker"/>): held while this stream lasts.</summary>
    public override Task Leases(
        IAsyncStreamReader<LeaseClientMessage> requestStream, IServerStreamWriter<LeaseServerMessage> responseStream, ServerCallContext context) =>
        leases.ServeAsync(requestStream, responseStream, context);

    private async Task<DispatchStreamResponse> RunStreamedAsync(DispatchStreamRequest message, MultiplexedCall call)
    {
        // The server span a unary call gets from ASP.NET Core: a child of the caller's span, parent of the sink call.
        var request = message.Request ?? new DispatchRequest();
        using var activity = TraceContext.StartCall(SchedulerTelemetry.ActivitySource, "faas.v1.Scheduler/DispatchStream call", request.Traceparent);
        var response = await RunAsync(request, call.Token).ConfigureAwait(false);
        return new DispatchStreamResponse { CallId = message.CallId, Response = response };
    }

    private async Task<DispatchResponse> RunAsync(DispatchRequest request, CancellationToken cancellationToken)
    {
        if (request.Function is null || string.IsNullOrEmpty(request.Function.ModuleSha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A dispatch needs a function with a module."));
        }

        if (string.IsNullOrEmpty(request.ExecutionId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "A dispatch needs its execution id (execution_id)."));
        }

        if (!Guid.TryParse(request.Function.TenantId, out _))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"A dispatch needs its function's tenant id (a UUID); got '{request.Function.TenantId}'."));
        }

        try
        {
            return await dispatcher.DispatchAsync(request.ExecutionId, request.Function, request.Payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StatusOf(ex) is { } status)
        {
            throw status;
        }
    }

    /// <summary>The status a scheduler failure becomes (for a dispatch and a lease alike); null: not one of the scheduler's own.</summary>
    public static RpcException? StatusOf(Exception ex) => ex switch
    {
        QueueFullException full => new RpcException(
            new Status(StatusCode.ResourceExhausted, full.Message),
            new Metadata { { RetryAfterTrailer, ((int)full.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture) } }),
        NoWorkerAvailableException or WorkerFailedException or SinkCouldNotRunException => new RpcException(new Status(StatusCode.Unavailable, ex.Message)),
        NoSinkCanRunException => new RpcException(new Status(StatusCode.FailedPrecondition, ex.Message)),
        _ => null,
    };

    private sealed class StreamEnvelope : IServerEnvelope<DispatchStreamRequest, DispatchStreamResponse>
    {
        public static readonly StreamEnvelope Instance = new();

        public ulong CallIdOf(DispatchStreamRequest request) => request.CallId;

        public bool IsCancel(DispatchStreamRequest request) => request.Cancel;

        public TimeSpan TimeoutOf(DispatchStreamRequest request) => TimeSpan.FromMilliseconds(request.TimeoutMs);

        public DispatchStreamResponse Failed(ulong callId, RpcException error) => new()
        {
            CallId = callId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail,
            RetryAfterSeconds = uint.TryParse(error.Trailers.GetValue(RetryAfterTrailer), CultureInfo.InvariantCulture, out var seconds) ? seconds : 0,
        };
    }
}
