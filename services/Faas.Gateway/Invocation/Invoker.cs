using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Gateway.Errors;
using Faas.Gateway.HttpFunctions;
using Faas.Gateway.Invocation.Leases;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Errors;
using Faas.ServiceDefaults.Tracing;
using Faas.Shared;
using Faas.Storage.Executions;
using Faas.Storage.Logs;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Execution = Faas.Storage.Model.Execution;
using HttpExchange = Faas.Storage.Model.HttpExchange;
using ExecutionStatus = Faas.Storage.Model.ExecutionStatus;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Gateway.Invocation;

/// <summary>
/// Synchronous invoke: resolve the version from the in-memory registry, check the payload, hand the run
/// to the scheduler, record the execution off the hot path, and turn failures into domain errors.
/// </summary>
public sealed class Invoker
{
    private readonly IRunnableVersions versions;
    private readonly SchedulerLink scheduler;
    private readonly DirectDispatch? direct;
    private readonly ExecutionRecorder recorder;
    private readonly FunctionLogWriter? logs;
    private readonly TimeProvider timeProvider;
    private readonly GatewayOptions options;
    private readonly Counter<long> invocations;
    private readonly Histogram<double> latency;

    public Invoker(
        IRunnableVersions versions, SchedulerLink scheduler, ExecutionRecorder recorder,
        TimeProvider timeProvider, IOptions<GatewayOptions> options, IMeterFactory meterFactory, DirectDispatch? direct = null,
        FunctionLogWriter? logs = null)
    {
        this.logs = logs;
        this.direct = options.Value.SyncInvoke == SyncInvokePath.Direct ? direct : null;
        this.versions = versions;
        this.scheduler = scheduler;
        this.recorder = recorder;
        this.timeProvider = timeProvider;
        this.options = options.Value;
        var meter = meterFactory.Create(GatewayTelemetry.MeterName);
        invocations = meter.CreateCounter<long>("faas.gateway.invocations", description: "Synchronous invocations by function and status");
        latency = meter.CreateHistogram<double>("faas.gateway.invocation.duration", unit: "ms", description: "Synchronous invocation latency at the gateway", advice: LatencyBuckets.Milliseconds);
    }

    /// <summary>Runs the function. <paramref name="onExecutionId"/> learns the id before the run starts.</summary>
    public async Task<InvocationResult> InvokeAsync(
        Guid tenantId, string name, int version, ReadOnlyMemory<byte> payload, Action<string> onExecutionId, CancellationToken cancellationToken)
    {
        CheckPayload(payload.Length);
        var function = await versions.ResolveAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false);
        return await RunAsync(function, FunctionSpecs.Of(function), payload, null, onExecutionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs an HTTP function's call: the request's CGI variables join the run's environment, and the output is read as a
    /// CGI response (<see cref="InvocationResult.Http"/>). Output that is not one fails the execution with
    /// <see cref="BadFunctionResponseException"/>. The record holds the method, the path and the status answered.
    /// </summary>
    public async Task<InvocationResult> InvokeHttpAsync(
        FunctionVersion function, HttpCall call, ReadOnlyMemory<byte> body, Action<string> onExecutionId, CancellationToken cancellationToken)
    {
        CheckPayload(body.Length);
        return await RunAsync(function, FunctionSpecs.ForRequest(function, call.Variables), body, call, onExecutionId, cancellationToken).ConfigureAwait(false);
    }

    private void CheckPayload(int length)
    {
        if (length > options.MaxPayloadBytes)
        {
            throw new PayloadTooLargeException(length, options.MaxPayloadBytes);
        }
    }

    private async Task<InvocationResult> RunAsync(
        FunctionVersion function, FunctionSpec spec, ReadOnlyMemory<byte> payload, HttpCall? http, Action<string> onExecutionId, CancellationToken cancellationToken)
    {
        var name = function.FunctionName;
        var started = Stopwatch.GetTimestamp();
        var createdAt = timeProvider.GetUtcNow();
        var executionId = Guid.CreateVersion7(createdAt);
        var id = executionId.ToString();
        onExecutionId(id);
        var traceparent = TraceContext.Current;
        var traceId = TraceContext.TraceIdOf(traceparent);

        DispatchResponse response;
        try
        {
            response = await DispatchAsync(id, spec, UnsafeByteOperations.UnsafeWrap(payload), traceparent, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The caller already has the id (a response header): whatever happened, the execution gets its record.
            var (outcome, metric, error, replacement) = Classify(ex, id, cancellationToken);
            var httpFailure = http is null ? 0 : HttpFailureStatus(replacement ?? ex, cancellationToken);
            Count(name, metric, started, http, httpFailure);
            await RecordAsync(function, executionId, createdAt, payload.Length, outcome, null, 0, error, traceId, http?.Recorded(httpFailure)).ConfigureAwait(false);
            if (replacement is not null)
            {
                throw replacement;
            }

            throw;
        }

        var result = response.Result;
        var status = result.Succeeded() ? ExecutionStatus.Succeeded
            : result.Outcome == ExecutionOutcome.Timeout ? ExecutionStatus.TimedOut
            : ExecutionStatus.Failed;
        var reason = result.Error;
        CgiResponse? cgi = null;
        var httpStatus = 0;
        if (http is not null)
        {
            if (status != ExecutionStatus.Succeeded)
            {
                httpStatus = status == ExecutionStatus.TimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
            }
            else if (CgiResponse.TryParse(result.Output.Memory, out var parsed, out var problem))
            {
                (cgi, httpStatus) = (parsed, parsed.StatusCode);
            }
            else
            {
                (status, reason, httpStatus) = (ExecutionStatus.Failed, $"The function's output is not a CGI response: {problem}.", StatusCodes.Status502BadGateway);
            }
        }

        await RecordAsync(function, executionId, createdAt, payload.Length, status, response, (long)response.QueueMicros, reason, traceId, http?.Recorded(httpStatus)).ConfigureAwait(false);
        Count(name, StatusTag(status), started, http, httpStatus);

        if (status == ExecutionStatus.Succeeded)
        {
            return new InvocationResult(id, result.Output.Memory) { Http = cgi };
        }

        if (http is not null && result.Succeeded())
        {
            throw new BadFunctionResponseException(id, $"Function '{name}' answered with something other than a CGI response (execution {id}): {reason}");
        }

        throw new FunctionFailedException(id, status == ExecutionStatus.TimedOut, Describe(id, function, result));
    }

    /// <summary>The HTTP status an HTTP function's caller gets for a call that produced no result.</summary>
    private static int HttpFailureStatus(Exception ex, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? 499
        : ex is GatewayException gateway ? gateway.HttpStatus ?? ErrorResponse.HttpStatusOf(gateway.StatusCode)
        : ex is RpcException rpc ? ErrorResponse.HttpStatusOf(rpc.StatusCode)
        : StatusCodes.Status500InternalServerError;

    /// <summary>
    /// Runs the call: on the one-hop path (<see cref="DirectDispatch"/>) when it is on and takes the call, else through
    /// the scheduler's Dispatch. Either ends with the same statuses.
    /// </summary>
    private async Task<DispatchResponse> DispatchAsync(string id, FunctionSpec spec, ByteString payload, string traceparent, CancellationToken cancellationToken)
    {
        if (direct is not null && spec.Mode.Normalized() == ExecutionMode.Warm
            && await direct.DispatchAsync(id, spec, payload, cancellationToken).ConfigureAwait(false) is { } response)
        {
            return response;
        }

        return await scheduler.DispatchAsync(
            new DispatchRequest { ExecutionId = id, Function = spec, Payload = payload, Traceparent = traceparent }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How a dispatch that produced no result is recorded, counted and told to the caller (null: the exception as it is).</summary>
    private static (ExecutionStatus Status, string Metric, string Error, Exception? Replacement) Classify(Exception ex, string id, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // The caller went away (or its deadline passed): the scheduler stopped the run before answering.
            return (ExecutionStatus.Cancelled, "cancelled", "The caller went away before the run ended; the run was stopped.", null);
        }

        return ex switch
        {
            RpcException { StatusCode: StatusCode.ResourceExhausted } rpc => (ExecutionStatus.Rejected, "rejected", rpc.Status.Detail,
                new CapacityExceededException(rpc.Status.Detail, int.TryParse(rpc.Trailers.GetValue(Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader), out var seconds) ? seconds : 1)),
            // No online sink runs the function's runtime or has room for its memory.
            RpcException { StatusCode: StatusCode.FailedPrecondition } rpc => (ExecutionStatus.Failed, "unplaceable", rpc.Status.Detail,
                new FunctionNotRunnableException($"Execution {id} could not be placed: {rpc.Status.Detail}")),
            RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown } rpc => (ExecutionStatus.Failed, "unavailable", rpc.Status.Detail,
                new MeshUnavailableException($"Execution {id} could not run: {rpc.Status.Detail}", rpc)),
            RpcException { StatusCode: StatusCode.DeadlineExceeded } rpc => (ExecutionStatus.TimedOut, "timed_out", rpc.Status.Detail, null),
            RpcException rpc => (ExecutionStatus.Failed, "failed", rpc.Status.Detail, null),
            _ => (ExecutionStatus.Failed, "failed", ex.Message, null),
        };
    }

    private static string Describe(string id, FunctionVersion function, ExecuteResponse result)
    {
        var reason = result.DescribeFailure((uint)function.Config.TimeoutMs, (uint)function.Config.MemoryMb);
        var stderr = string.IsNullOrEmpty(result.StderrTail) ? "" : $"; stderr: {result.StderrTail}";
        return $"Function '{function.FunctionName}' {reason} (execution {id}){stderr}";
    }

    private ValueTask RecordAsync(
        FunctionVersion function, Guid executionId, DateTimeOffset createdAt, int inputBytes, ExecutionStatus status,
        DispatchResponse? response, long queueMicros, string error, string traceId, HttpExchange? http)
    {
        var result = response?.Result;
        var finishedAt = timeProvider.GetUtcNow();
        logs?.Record(function.TenantId, function.FunctionName, function.Version, executionId, result, finishedAt, withStdout: false);
        return recorder.RecordAsync(new Execution(
            executionId, function.TenantId, function.FunctionId, function.FunctionName, function.Version, status,
            createdAt, finishedAt, queueMicros, (long)(result?.RunMicros ?? 0), inputBytes,
            result?.Output.Length ?? 0, result?.ExitCode ?? 0, error, result?.StderrTail ?? "", result?.Worker ?? "", traceId) { Http = http });
    }

    /// <summary>The <c>status</c> tag of a run that answered: the same words as a dispatch that did not (<see cref="Classify"/>).</summary>
    private static string StatusTag(ExecutionStatus status) => status switch
    {
        ExecutionStatus.Succeeded => "succeeded",
        ExecutionStatus.TimedOut => "timed_out",
        _ => "failed",
    };

    private void Count(string function, string status, long started, HttpCall? http = null, int httpStatus = 0)
    {
        var tags = new TagList { { "function", function }, { "status", status } };
        if (http is not null)
        {
            // An HTTP function's calls also by what its callers got: 2xx, 3xx, 4xx, 5xx.
            tags.Add("http.response.status_class", StatusClass(httpStatus));
        }

        invocations.Add(1, tags);
        latency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
    }

    private static string StatusClass(int status) => status switch
    {
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        _ => "5xx",
    };
}
