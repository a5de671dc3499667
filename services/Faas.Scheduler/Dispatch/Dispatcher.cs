using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Scheduler.Jobs;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Workers;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Dispatch;

/// <summary>
/// Runs one invocation: a slot from the function's queue, a worker from placement, the worker call with
/// `x-execution-id` and `x-trace-id` metadata and a deadline of the function's timeout plus a grace.
/// JOB-mode functions take their slot the same way, then run in a container (<see cref="JobDispatcher"/>).
/// </summary>
public sealed partial class Dispatcher
{
    private readonly FunctionQueues queues;
    private readonly TenantConcurrency tenants;
    private readonly PlacementPolicy placement;
    private readonly JobDispatcher jobs;
    private readonly SchedulerOptions options;
    private readonly ILogger<Dispatcher> logger;
    private readonly Counter<long> rejections;
    private readonly Histogram<double> queueWait;
    private readonly Counter<long> dispatches;

    public Dispatcher(
        FunctionQueues queues, TenantConcurrency tenants, PlacementPolicy placement, JobDispatcher jobs, IOptions<SchedulerOptions> options,
        IMeterFactory meterFactory, ILogger<Dispatcher> logger)
    {
        this.queues = queues;
        this.tenants = tenants;
        this.placement = placement;
        this.jobs = jobs;
        this.options = options.Value;
        this.logger = logger;
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        rejections = meter.CreateCounter<long>("faas.scheduler.rejections", description: "Invocations rejected because the function's queue was full");
        queueWait = meter.CreateHistogram<double>("faas.scheduler.queue.wait", unit: "ms", description: "Time invocations waited for a concurrency slot", advice: LatencyBuckets.Milliseconds);
        dispatches = meter.CreateCounter<long>("faas.scheduler.dispatches", description: "Invocations sent to workers");
    }

    /// <summary>
    /// Runs the invocation; <paramref name="onStarted"/> learns the worker chosen, once the invocation has its
    /// concurrency slot and is about to be sent (again, if a worker could not be reached).
    /// </summary>
    public async Task<DispatchResponse> DispatchAsync(
        string executionId, string traceId, FunctionSpec function, Google.Protobuf.ByteString payload, CancellationToken cancellationToken,
        Action<string>? onStarted = null)
    {
        using var tenantLease = await tenants.EnterAsync(function.TenantId, cancellationToken).ConfigureAwait(false);
        var queueKey = $"{function.TenantId}/{function.Name}";
        var queue = queues.Get(queueKey, (int)function.MaxConcurrency, (int)function.QueueCapacity);
        var started = Stopwatch.GetTimestamp();
        FunctionQueue.Slot slot;
        try
        {
            slot = await queue.EnterAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QueueFullException)
        {
            rejections.Add(1, new KeyValuePair<string, object?>("function", queueKey));
            throw;
        }

        var waited = Stopwatch.GetElapsedTime(started);
        queueWait.Record(waited.TotalMilliseconds, new KeyValuePair<string, object?>("function", queueKey));
        try
        {
            if (function.Mode == ExecutionMode.Job)
            {
                // A fresh container per invocation instead of a pooled worker.
                var result = await jobs.RunAsync(executionId, traceId, function, payload, onStarted, cancellationToken).ConfigureAwait(false);
                return new DispatchResponse { Result = result, QueueMicros = (ulong)(waited.Ticks / 10) };
            }

            var metadata = new Metadata { { "x-execution-id", executionId }, { "x-trace-id", traceId } };
            var deadline = DateTime.UtcNow.AddMilliseconds(function.TimeoutMs) + options.WorkerDeadlineGrace;
            List<Worker>? unreachable = null;
            while (true)
            {
                var worker = placement.Choose(function.ModuleSha256, unreachable) ?? throw new NoWorkerAvailableException();
                worker.BeginCall();
                onStarted?.Invoke(worker.Name);
                var loaded = false;
                try
                {
                    dispatches.Add(1, new KeyValuePair<string, object?>("worker", worker.Name));
                    var result = await worker.Client.ExecuteAsync(
                        new ExecuteRequest { Function = function, Payload = payload },
                        metadata, deadline, cancellationToken).ConfigureAwait(false);
                    loaded = result.Outcome != ExecutionOutcome.InstantiationFailed;
                    return new DispatchResponse { Result = result, QueueMicros = (ulong)(waited.Ticks / 10) };
                }
                catch (RpcException ex) when (NeverReachedWorker(ex))
                {
                    // The request never left: the function did not run, so another worker may take it.
                    worker.Down();
                    LogWorkerUnreachable(logger, worker.Name, executionId, ex.Status.Detail);
                    (unreachable ??= []).Add(worker);
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown)
                {
                    // The worker broke mid-call: whether the function ran is unknown, so it is not run again.
                    worker.Unreachable();
                    LogWorkerCallFailed(logger, worker.Name, executionId, ex.Status.Detail);
                    throw new WorkerFailedException(worker.Name, ex.Status.Detail, ex);
                }
                finally
                {
                    worker.EndCall(function.ModuleSha256, loaded);
                }
            }
        }
        finally
        {
            slot.Release();
        }
    }

    /// <summary>A connection that could not be made (refused, reset while connecting): nothing was sent to the worker.</summary>
    private static bool NeverReachedWorker(RpcException ex)
    {
        if (ex.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }

        for (var inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }
                or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Worker {Worker} is unreachable; execution {ExecutionId} goes elsewhere: {Reason}")]
    private static partial void LogWorkerUnreachable(ILogger logger, string worker, string executionId, string reason);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Worker {Worker} failed execution {ExecutionId}: {Reason}")]
    private static partial void LogWorkerCallFailed(ILogger logger, string worker, string executionId, string reason);
}
