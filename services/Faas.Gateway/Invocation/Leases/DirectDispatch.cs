using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Tracing;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Invocation.Leases;

/// <summary>
/// The one-hop synchronous path: a slot lease (<see cref="SlotLeases"/>), then the gateway calls the sink itself. What
/// the scheduler's Dispatch does on a failure happens here, read by the same rules (<see cref="SinkContract.ClassifyFailure"/>)
/// and with the same statuses: a sink that could not be reached is
/// left for another; one lost mid-call (revoked, or its connection broke) fails the call unless the function is
/// idempotent, which runs again elsewhere; a refusal before running and a lost result are UNAVAILABLE.
/// </summary>
public sealed partial class DirectDispatch
{
    private readonly SlotLeases leases;
    private readonly SinkLinks links;
    private readonly LeaseClientOptions options;
    private readonly ILogger<DirectDispatch> logger;
    private readonly Counter<long> retries;

    public DirectDispatch(SlotLeases leases, SinkLinks links, IOptions<LeaseClientOptions> options, IMeterFactory meterFactory, ILogger<DirectDispatch> logger)
    {
        this.leases = leases;
        this.links = links;
        this.options = options.Value;
        this.logger = logger;
        retries = meterFactory.Create(GatewayTelemetry.MeterName)
            .CreateCounter<long>("faas.gateway.sync_retries", description: "Synchronous calls of idempotent functions run again after their sink was lost mid-call, by reason");
    }

    /// <summary>Runs the call on a leased sink; null when it is to go through the scheduler's Dispatch instead.</summary>
    public async Task<DispatchResponse?> DispatchAsync(string executionId, FunctionSpec function, ByteString payload, CancellationToken cancellationToken)
    {
        List<string>? tried = null;
        // Time spent waiting for a slot: none when an idle lease is at hand; else the wait in the function's queue, at the
        // scheduler or for a lease of this gateway's own, whichever came first.
        var waited = TimeSpan.Zero;
        while (true)
        {
            var asked = Stopwatch.GetTimestamp();
            var lease = await leases.AcquireAsync(function, tried, cancellationToken).ConfigureAwait(false);
            waited += Stopwatch.GetElapsedTime(asked);
            if (lease is null)
            {
                return null;
            }

            if (await RunAsync(lease, executionId, function, payload, cancellationToken).ConfigureAwait(false) is { } result)
            {
                return new DispatchResponse { Result = result, QueueMicros = (ulong)(waited.Ticks / 10) };
            }

            (tried ??= []).Add(lease.SinkId);
        }
    }

    /// <summary>One attempt on the lease's sink; null when the call should go to another sink.</summary>
    private async Task<ExecuteResponse?> RunAsync(SlotLease lease, string executionId, FunctionSpec function, ByteString payload, CancellationToken cancellationToken)
    {
        var loaded = false;
        var keep = true;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Revoked);
        try
        {
            var result = await links.For(lease.PushAddress).ExecuteAsync(
                new ExecuteRequest { Function = function, Payload = payload, ExecutionId = executionId, Traceparent = TraceContext.Current },
                DateTime.UtcNow.AddMilliseconds(function.TimeoutMs) + options.SinkDeadlineGrace, call.Token).ConfigureAwait(false);
            loaded = result.Outcome != ExecutionOutcome.InstantiationFailed;
            return result;
        }
        catch (Exception ex) when (SinkContract.ClassifyFailure(ex, lease.IsRevoked, cancellationToken.IsCancellationRequested) is var failure
            && failure != SinkCallFailure.None)
        {
            var detail = (ex as RpcException)?.Status.Detail ?? ex.Message;
            switch (failure)
            {
                case SinkCallFailure.NeverReached:
                    // Nothing was sent: another sink may take it, and the next call here gets a fresh connection.
                    keep = false;
                    links.Forget(lease.PushAddress);
                    LogSinkUnreachable(logger, lease.SinkName, executionId, detail);
                    return null;
                case SinkCallFailure.NotRun:
                    LogSinkCallFailed(logger, lease.SinkName, executionId, detail);
                    throw new RpcException(new Status(StatusCode.Unavailable, $"Sink {lease.SinkName} could not run the invocation: {detail}"));
                case SinkCallFailure.ResultLost:
                    LogSinkCallFailed(logger, lease.SinkName, executionId, detail);
                    throw Failed(lease, detail);
                case SinkCallFailure.SinkLost:
                    // The scheduler says the sink is gone (it stopped heartbeating): whether the function ran is unknown.
                    keep = false;
                    return RetryIfIdempotent(lease, executionId, function, "the sink went offline mid-call (it stopped heartbeating)", "offline");
                default:
                    keep = false;
                    return RetryIfIdempotent(lease, executionId, function, detail, "broken");
            }
        }
        finally
        {
            leases.Release(lease, loaded, keep);
        }
    }

    private ExecuteResponse? RetryIfIdempotent(SlotLease lease, string executionId, FunctionSpec function, string reason, string retryReason)
    {
        LogSinkCallFailed(logger, lease.SinkName, executionId, reason);
        if (!function.Idempotent)
        {
            throw Failed(lease, reason);
        }

        retries.Add(1, new KeyValuePair<string, object?>("reason", retryReason));
        LogRetryElsewhere(logger, executionId, lease.SinkName);
        return null;
    }

    private static RpcException Failed(SlotLease lease, string reason) =>
        new(new Status(StatusCode.Unavailable, $"Sink {lease.SinkName} failed during the invocation: {reason}"));

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Sink {Sink} is unreachable; execution {ExecutionId} goes elsewhere: {Reason}")]
    private static partial void LogSinkUnreachable(ILogger logger, string sink, string executionId, string reason);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Execution {ExecutionId} of an idempotent function runs again elsewhere: sink {Sink} was lost mid-call")]
    private static partial void LogRetryElsewhere(ILogger logger, string executionId, string sink);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "Sink {Sink} failed execution {ExecutionId}: {Reason}")]
    private static partial void LogSinkCallFailed(ILogger logger, string sink, string executionId, string reason);
}
