using System.Diagnostics;
using Faas.JobSink.Jobs;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Multiplexing;
using Faas.Sinks.Client;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Grpc;

/// <summary>
/// faas.v1.PushedSink for JOB mode: every call runs in a container of its own through <see cref="JobDispatcher"/>, answered
/// as a worker answers. A call the sink refuses before running anything (no container runtime, secrets it cannot
/// unseal) fails UNAVAILABLE with the not-run mark (<see cref="SinkContract.NotRunTrailer"/>); a container that ended
/// without a result fails ABORTED: it may have run.
/// </summary>
public sealed class JobSinkService(JobDispatcher jobs, JobSlots slots, IOptions<SinkClientOptions> sink, IHostApplicationLifetime lifetime)
    : Protos.V1.PushedSink.PushedSinkBase
{
    private const string ExecutionIdHeader = "x-execution-id";
    private const string TraceIdHeader = "x-trace-id";

    public override Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context) =>
        RunAsync(
            request, context.RequestHeaders.GetValue(ExecutionIdHeader), context.RequestHeaders.GetValue(TraceIdHeader) ?? Activity.Current?.TraceId.ToString() ?? "",
            context.CancellationToken);

    /// <summary>Execute, multiplexed (<see cref="MultiplexedServer"/>): each call answers when its container ends.</summary>
    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        MultiplexedServer.ServeAsync(requestStream, responseStream, context, StreamEnvelope.Instance, RunStreamedAsync, lifetime.ApplicationStopping);

    public override Task<SinkStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new SinkStatus { Worker = sink.Value.Name, Slots = (uint)slots.Capacity, InFlight = (uint)slots.InFlight });

    /// <summary>A container runs a module from scratch every time: there is nothing to load ahead.</summary>
    public override Task<PrewarmResponse> Prewarm(PrewarmRequest request, ServerCallContext context) => Task.FromResult(new PrewarmResponse());

    public override Task<UnloadResponse> Unload(UnloadRequest request, ServerCallContext context) => Task.FromResult(new UnloadResponse());

    private async Task<ExecuteStreamResponse> RunStreamedAsync(ExecuteStreamRequest message, MultiplexedCall call)
    {
        using var activity = JobSinkTelemetry.ActivitySource.StartActivity(
            "faas.v1.PushedSink/ExecuteStream call", ActivityKind.Server,
            ActivityContext.TryParse(message.Traceparent, null, out var parent) ? parent : default);
        var traceId = message.TraceId.Length > 0 ? message.TraceId : activity?.TraceId.ToString() ?? "";
        var response = await RunAsync(message.Request ?? new ExecuteRequest(), message.ExecutionId, traceId, call.Token).ConfigureAwait(false);
        return new ExecuteStreamResponse { CallId = message.CallId, Response = response };
    }

    private async Task<ExecuteResponse> RunAsync(ExecuteRequest request, string? executionId, string traceId, CancellationToken cancellationToken)
    {
        if (request.Function is not { } function || string.IsNullOrEmpty(function.ModuleSha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "An execution needs a function with a module."));
        }

        if (string.IsNullOrEmpty(executionId) || !Guid.TryParse(executionId, out _))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"An execution needs its id ({ExecutionIdHeader}); got '{executionId}'."));
        }

        if (function.Mode.Normalized() != ExecutionMode.Job)
        {
            throw SinkContract.NotRunError(StatusCode.FailedPrecondition, $"This sink runs JOB-mode functions only; '{function.Name}' is {function.Mode.Normalized()}.");
        }

        using var slot = slots.Enter();
        try
        {
            return await jobs.RunAsync(executionId, traceId, function, request.Payload, onStarted: null, cancellationToken).ConfigureAwait(false);
        }
        catch (JobLauncherUnavailableException ex)
        {
            throw SinkContract.NotRunError(StatusCode.Unavailable, ex.Message);
        }
        catch (JobFailedException ex)
        {
            throw new RpcException(new Status(StatusCode.Aborted, ex.Message));
        }
    }

    private sealed class StreamEnvelope : IServerEnvelope<ExecuteStreamRequest, ExecuteStreamResponse>
    {
        public static readonly StreamEnvelope Instance = new();

        public ulong CallIdOf(ExecuteStreamRequest request) => request.CallId;

        public bool IsCancel(ExecuteStreamRequest request) => request.Cancel;

        public TimeSpan TimeoutOf(ExecuteStreamRequest request) => TimeSpan.FromMilliseconds(request.TimeoutMs);

        public ExecuteStreamResponse Failed(ulong callId, RpcException error) =>
            new() { CallId = callId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail, NotRun = SinkContract.NotRun(error) };
    }
}
