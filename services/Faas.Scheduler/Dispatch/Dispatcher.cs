using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Sinks;
using Faas.Scheduler.WarmPool;
using Faas.ServiceDefaults.Tracing;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Dispatch;

/// <summary>
/// Runs one invocation: a slot from the function's queue, a worker from placement, the worker call with
/// the execution id and the traceparent in the request and a deadline of the function's timeout plus a grace.
/// JOB-mode functions are placed like any other: on a sink that serves the JOB mode (the job sink).
/// </summary>
public sealed partial class Dispatcher
{
    private readonly FunctionQueues queues;
    private readonly ITenantConcurrency tenants;
    private readonly TenantShares shares;
    private const string PulledWorkerName = "pull";

    private readonly PlacementPolicy placement;
    private readonly ISinkView sinks;
    private readonly SinkDirectory.SinkDirectoryClient sinkDirectory;
    private readonly WarmTargets warmTargets;
    private readonly SchedulerOptions options;
    private readonly ILogger<Dispatcher> logger;
    private readonly Counter<long> rejections;
    private readonly Histogram<double> queueWait;
    private readonly Counter<long> dispatches;
    private readonly Counter<long> retries;

    public Dispatcher(
        FunctionQueues queues, ITenantConcurrency tenants, TenantShares shares, PlacementPolicy placement, ISinkView sinks, SinkDirectory.SinkDirectoryClient sinkDirectory,
        WarmTargets warmTargets, IOptions<SchedulerOptions> options, IMeterFactory meterFactory, ILogger<Dispatcher> logger)
    {
        this.sinks = sinks;
        this.sinkDirectory = sinkDirectory;
        this.queues = queues;
        this.tenants = tenants;
        this.shares = shares;
        this.placement = placement;
        this.warmTargets = warmTargets;
        this.options = options.Value;
        this.logger = logger;
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        rejections = meter.CreateCounter<long>("faas.scheduler.rejections", description: "Invocations rejected because the function's queue was full");
        queueWait = meter.CreateHistogram<double>("faas.scheduler.queue.wait", unit: "ms", description: "Time invocations waited for a concurrency slot", advice: LatencyBuckets.Milliseconds);
        dispatches = meter.CreateCounter<long>("faas.scheduler.dispatches", description: "Invocations sent to workers");
        retries = meter.CreateCounter<long>("faas.scheduler.sync_retries", description: "Synchronous calls of idempotent functions run again after their sink was lost mid-call, by reason");
    }

    /// <summary>
    /// Runs the invocation; <paramref name="onStarted"/> learns the worker chosen, once the invocation has its
    /// concurrency slot and is about to be sent (again, if a worker could not be reached).
    /// </summary>
    public async Task<DispatchResponse> DispatchAsync(
        string executionId, FunctionSpec function, Google.Protobuf.ByteString payload, CancellationToken cancellationToken,
        Action<string>? onStarted = null)
    {
        using var admission = await AdmitAsync(function, cancellationToken).ConfigureAwait(false);
        var result = await PlaceAndRunAsync(executionId, function, payload, onStarted, cancellationToken).ConfigureAwait(false);
        return new DispatchResponse { Result = result, QueueMicros = (ulong)(admission.Waited.Ticks / 10) };
    }

    /// <summary>
    /// Admits one run of the function: a unit of its tenant's quota, a slot of its queue (waiting in it, or refused with
    /// <see cref="QueueFullException"/> when it is full), the first membership, and a slot of its tenant's share.
    /// <paramref name="onPressure"/> hears, before the wait, that the invocation is about to wait for its function's
    /// slots (<c>true</c>) or its tenant's share (<c>false</c>): slot leases held idle elsewhere are called back.
    /// </summary>
    public async Task<Admission> AdmitAsync(FunctionSpec function, CancellationToken cancellationToken, Action<bool>? onPressure = null)
    {
        var tenantLease = await tenants.EnterAsync(function.TenantId, cancellationToken).ConfigureAwait(false);
        FunctionQueue.Slot? slot = null;
        try
        {
            var queueKey = $"{function.TenantId}/{function.Name}";
            var queue = queues.Get(queueKey, (int)Math.Max(1, function.MaxConcurrency), (int)function.QueueCapacity);
            if (onPressure is not null && queue.Saturated)
            {
                onPressure(true);
            }

            (slot, var waited) = await EnterFunctionQueueAsync(queue, queueKey, cancellationToken).ConfigureAwait(false);
            warmTargets.Observe(queueKey, function, queue);
            await WaitForMembershipAsync(cancellationToken).ConfigureAwait(false);
            if (onPressure is not null && shares.IsFull(function.TenantId, function.Mode))
            {
                onPressure(false);
            }

            var share = await shares.EnterAsync(function.TenantId, function.Mode, cancellationToken).ConfigureAwait(false);
            return new Admission(tenantLease, slot, share, waited);
        }
        catch
        {
            slot?.Release();
            tenantLease.Dispose();
            throw;
        }
    }

    /// <summary>Waits for a concurrency slot of the function's queue, counting a rejection when the queue is full and recording the wait.</summary>
    private async ValueTask<(FunctionQueue.Slot Slot, TimeSpan Waited)> EnterFunctionQueueAsync(FunctionQueue queue, string queueKey, CancellationToken cancellationToken)
    {
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
        return (slot, waited);
    }

    /// <summary>Right after the scheduler starts, waits (up to <see cref="SchedulerOptions.MembershipWait"/>) for the first membership.</summary>
    private Task WaitForMembershipAsync(CancellationToken cancellationToken) =>
        sinks.IsReady ? Task.CompletedTask : sinks.WaitUntilReadyAsync(options.MembershipWait, cancellationToken);

    /// <summary>
    /// Places the invocation and runs it there: on a pushed sink, placed again without it while a sink cannot be reached
    /// (or, for an idempotent function, was lost mid-call); else through the sink manager to a sink that pulls.
    /// </summary>
    private async Task<ExecuteResponse> PlaceAndRunAsync(
        string executionId, FunctionSpec function, Google.Protobuf.ByteString payload, Action<string>? onStarted, CancellationToken cancellationToken)
    {
        List<Sink>? tried = null;
        while (true)
        {
            var placement = this.placement.Place(function, tried);
            if (placement.Push is not { } sink)
            {
                onStarted?.Invoke(PulledWorkerName);
                return await RunPulledAsync(executionId, function, payload, cancellationToken).ConfigureAwait(false);
            }

            onStarted?.Invoke(sink.Name);
            if (await RunPushedAsync(sink, executionId, function, payload, cancellationToken).ConfigureAwait(false) is { } result)
            {
                return result;
            }

            (tried ??= []).Add(sink);
        }
    }

    /// <summary>Runs the invocation on a pushed sink (placement counted the call there); null when it should be placed on another sink.</summary>
    private async Task<ExecuteResponse?> RunPushedAsync(
        Sink sink, string executionId, FunctionSpec function, Google.Protobuf.ByteString payload, CancellationToken cancellationToken)
    {
        var memoryMb = Math.Max(1, (long)function.MemoryMb);
        var loaded = false;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, sink.Lost);
        try
        {
            dispatches.Add(1, new KeyValuePair<string, object?>("worker", sink.Name));
            var result = await sink.Link!.ExecuteAsync(
                new ExecuteRequest { Function = function, Payload = payload, ExecutionId = executionId, Traceparent = TraceContext.Current },
                DateTime.UtcNow.AddMilliseconds(function.TimeoutMs) + options.WorkerDeadlineGrace, call.Token).ConfigureAwait(false);
            loaded = result.Outcome != ExecutionOutcome.InstantiationFailed;
            return result;
        }
        catch (Exception ex) when (SinkContract.ClassifyFailure(ex, sink.Lost.IsCancellationRequested, cancellationToken.IsCancellationRequested) is var failure
            && failure != SinkCallFailure.None)
        {
            var detail = (ex as RpcException)?.Status.Detail ?? ex.Message;
            switch (failure)
            {
                case SinkCallFailure.NeverReached:
                    // The request never left: the function did not run, so another sink may take it.
                    LogSinkUnreachable(logger, sink.Name, executionId, detail);
                    return null;
                case SinkCallFailure.NotRun:
                    // The sink refused before running anything (JOB mode without a container runtime, a module store it
                    // cannot reach): the caller hears why; an asynchronous invocation spends an attempt and backs off.
                    LogSinkCallFailed(logger, sink.Name, executionId, detail);
                    throw new SinkCouldNotRunException(sink.Name, detail, ex);
                case SinkCallFailure.ResultLost:
                    // The sink ran it and lost the result (a container that ended without one): its fate is unknown, and the
                    // sink is fine, so an asynchronous invocation backs off before it runs again.
                    LogSinkCallFailed(logger, sink.Name, executionId, detail);
                    throw new WorkerFailedException(sink.Name, detail, ex);
                case SinkCallFailure.SinkLost:
                    // The sink manager says the sink is gone (missed heartbeats): whether the function ran is unknown.
                    return RetryIfIdempotent(sink, executionId, function, ex, "the sink went offline", "the sink went offline mid-call (it stopped heartbeating)", "offline");
                default:
                    // The sink broke mid-call: whether the function ran is unknown, so it runs again only if it may run twice.
                    return RetryIfIdempotent(sink, executionId, function, ex, detail, detail, "broken");
            }
        }
        finally
        {
            sink.EndCall(memoryMb, function.ModuleSha256, loaded);
        }
    }

    /// <summary>
    /// The sink was lost mid-call, so whether the function ran is unknown: a function that may not run twice fails with
    /// <see cref="WorkerFailedException"/>; an idempotent one is counted and logged as retried, and placed on another sink (null).
    /// </summary>
    private ExecuteResponse? RetryIfIdempotent(Sink sink, string executionId, FunctionSpec function, Exception error, string logReason, string failure, string retryReason)
    {
        LogSinkCallFailed(logger, sink.Name, executionId, logReason);
        if (!function.Idempotent)
        {
            throw new WorkerFailedException(sink.Name, failure, error, sinkLost: true);
        }

        retries.Add(1, new KeyValuePair<string, object?>("reason", retryReason));
        LogRetryElsewhere(logger, executionId, sink.Name);
        return null;
    }

    /// <summary>Hands the invocation to the sink manager, which gives it to a sink that pulls and returns its result.</summary>
    private async Task<ExecuteResponse> RunPulledAsync(
        string executionId, FunctionSpec function, Google.Protobuf.ByteString payload, CancellationToken cancellationToken)
    {
        dispatches.Add(1, new KeyValuePair<string, object?>("worker", PulledWorkerName));
        try
        {
            return await sinkDirectory.RunTaskAsync(
                new RunSinkTaskRequest { ExecutionId = executionId, Traceparent = TraceContext.Current, Function = function, Payload = payload },
                deadline: DateTime.UtcNow.AddMilliseconds(function.TimeoutMs) + options.WorkerDeadlineGrace + options.PullHandOffAllowance,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
            throw new NoSinkCanRunException(ex.Status.Detail);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
        {
            throw new SinkBacklogFullException(ex.Status.Detail);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && ex.Trailers.GetValue(SinkContract.NoSinkTrailer) is not null)
        {
            // Nothing ran: no sink at all is online.
            throw new NoWorkerAvailableException(ex.Status.Detail);
        }
        catch (RpcException ex) when (SinkContract.NeverReached(ex))
        {
            // The sink manager is down (restarting): the task never left, so nothing ran and no attempt is spent. Were it
            // taken for a sink lost mid-call, an asynchronous invocation would be retried at once, again and again, and
            // use up its retries in the moment the sink manager is away.
            LogSinkUnreachable(logger, PulledWorkerName, executionId, ex.Status.Detail);
            throw new NoWorkerAvailableException($"The sink manager could not be reached: {ex.Status.Detail}");
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.DeadlineExceeded)
        {
            LogSinkCallFailed(logger, PulledWorkerName, executionId, ex.Status.Detail);
            throw new WorkerFailedException(PulledWorkerName, ex.Status.Detail, ex, sinkLost: ex.StatusCode != StatusCode.DeadlineExceeded);
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sink {Sink} is unreachable; execution {ExecutionId} goes elsewhere: {Reason}")]
    private static partial void LogSinkUnreachable(ILogger logger, string sink, string executionId, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Execution {ExecutionId} of an idempotent function runs again elsewhere: sink {Sink} was lost mid-call")]
    private static partial void LogRetryElsewhere(ILogger logger, string executionId, string sink);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Sink {Sink} failed execution {ExecutionId}: {Reason}")]
    private static partial void LogSinkCallFailed(ILogger logger, string sink, string executionId, string reason);
}
