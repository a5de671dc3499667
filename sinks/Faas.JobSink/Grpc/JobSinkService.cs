using System.Diagnostics;
using Faas.JobSink.Jobs;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Tracing;
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
    public override Task<ExecuteResponse> Execute(ExecuteRequest request, ServerCallContext context) =>
        RunAsync(request, context.CancellationToken);

    /// <summary>Execute, multiplexed (<see cref="PushedSinkStream"/>): each call answers when its container ends.</summary>
    public override Task ExecuteStream(
        IAsyncStreamReader<ExecuteStreamRequest> requestStream, IServerStreamWriter<ExecuteStreamResponse> responseStream, ServerCallContext context) =>
        PushedSinkStream.ServeAsync(
            requestStream, responseStream, context, JobSinkTelemetry.ActivitySource, (request, call) => RunAsync(request, call.Token), lifetime.ApplicationStopping);

    public override Task<SinkStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(new SinkStatus { Worker = sink.Value.Name, Slots = (uint)slots.Capacity, InFlight = (uint)slots.InFlight });

    /// <summary>A container runs a module from scratch every time: there is nothing to load ahead.</summary>
    public override Task<PrewarmResponse> Prewarm(PrewarmRequest request, ServerCallContext context) => Task.FromResult(new PrewarmResponse());

    public override Task<UnloadResponse> Unload(UnloadRequest request, ServerCallContext context) => Task.FromResult(new UnloadResponse());

    private async Task<ExecuteResponse> RunAsync(ExecuteRequest request, CancellationToken cancellationToken)
    {
        if (request.Function is not { } function || string.IsNullOrEmpty(function.ModuleSha256))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "An execution needs a function with a module."));
        }

        // The id names the job's folder and container: the gateway's UUIDs only.
        var executionId = SinkContract.RequireExecutionId(request.ExecutionId);
        if (!Guid.TryParse(executionId, out _))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"An execution id here is a UUID; got '{executionId}'."));
        }

        var traceId = TraceContext.TraceIdOf(request.Traceparent) is { Length: > 0 } fromParent ? fromParent : Activity.Current?.TraceId.ToHexString() ?? "";

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
}
