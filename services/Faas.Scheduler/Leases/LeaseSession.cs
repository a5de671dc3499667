using System.Diagnostics;
using System.Threading.Channels;
using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Grpc;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Sinks;
using Faas.ServiceDefaults.Tracing;
using Grpc.Core;

namespace Faas.Scheduler.Leases;

/// <summary>
/// One gateway's lease stream: acquires wait in their function's queue (<see cref="Dispatcher.AdmitAsync"/>) and are
/// placed like a dispatch; a grant names the sink the gateway then calls itself. Everything the stream holds is given
/// back when it ends, when it stays silent past <see cref="LeaseOptions.Expiry"/>, or lease by lease when the gateway
/// returns one or its sink is lost (then the gateway hears a revocation).
/// </summary>
internal sealed partial class LeaseSession
{
    private readonly Lock gate = new();
    private readonly Dictionary<ulong, HeldLease> leases = [];
    private readonly Dictionary<ulong, CancellationTokenSource> acquiring = [];
    private readonly Channel<LeaseServerMessage> outbox = Channel.CreateUnbounded<LeaseServerMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LeaseBroker broker;
    private readonly Dispatcher dispatcher;
    private readonly PlacementPolicy placement;
    private readonly ISinkView sinks;
    private readonly LeaseOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource ended;
    private ulong nextLeaseId;
    private long lastHeard = Stopwatch.GetTimestamp();

    public LeaseSession(
        LeaseBroker broker, Dispatcher dispatcher, PlacementPolicy placement, ISinkView sinks, LeaseOptions options, ILogger logger, CancellationToken streamEnded)
    {
        this.broker = broker;
        this.dispatcher = dispatcher;
        this.placement = placement;
        this.sinks = sinks;
        this.options = options;
        this.logger = logger;
        ended = CancellationTokenSource.CreateLinkedTokenSource(streamEnded);
    }

    public string Peer { get; init; } = "";

    /// <summary>Leases held now.</summary>
    public int Count { get { lock (gate) { return leases.Count; } } }

    /// <summary>Serves the stream until the gateway closes it, it breaks, or it stays silent too long; then gives everything back.</summary>
    public async Task RunAsync(IAsyncStreamReader<LeaseClientMessage> requests, IServerStreamWriter<LeaseServerMessage> responses)
    {
        Post(new LeaseServerMessage { Terms = new LeaseTerms { KeepAliveMs = (uint)options.KeepAlive.TotalMilliseconds, ExpiryMs = (uint)options.Expiry.TotalMilliseconds } });
        var writing = WriteAsync(responses);
        var watching = WatchSilenceAsync();
        try
        {
            while (await requests.MoveNext(ended.Token).ConfigureAwait(false))
            {
                Volatile.Write(ref lastHeard, Stopwatch.GetTimestamp());
                Handle(requests.Current);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or RpcException)
        {
            // The gateway went away (its connection closed or broke) or fell silent: everything below is given back.
        }
        finally
        {
            await ended.CancelAsync().ConfigureAwait(false);
            outbox.Writer.TryComplete();
            ReleaseAll();
            await Task.WhenAll(writing, watching).ConfigureAwait(false);
        }
    }

    private void Handle(LeaseClientMessage message)
    {
        switch (message.KindCase)
        {
            case LeaseClientMessage.KindOneofCase.Acquire:
                _ = AcquireAsync(message.Acquire);
                break;
            case LeaseClientMessage.KindOneofCase.Return:
                Return(message.Return.LeaseId, message.Return.ModuleLoaded);
                break;
            case LeaseClientMessage.KindOneofCase.Cancel:
                lock (gate)
                {
                    if (acquiring.TryGetValue(message.Cancel.RequestId, out var cancel))
                    {
                        cancel.Cancel();
                    }
                }

                break;
            case LeaseClientMessage.KindOneofCase.KeepAlive:
                Post(new LeaseServerMessage { KeepAlive = new LeaseKeepAlive() });
                break;
        }
    }

    private async Task AcquireAsync(LeaseAcquire acquire)
    {
        if (Validate(acquire) is { } invalid)
        {
            Refuse(acquire.RequestId, invalid);
            return;
        }

        var function = acquire.Function;
        if (function.Mode.Normalized() != ExecutionMode.Warm)
        {
            // A fresh container per call: the job sink is reached through Dispatch.
            Post(new LeaseServerMessage { Refusal = new LeaseRefusal { RequestId = acquire.RequestId, Dispatch = true } });
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ended.Token);
        lock (gate)
        {
            acquiring[acquire.RequestId] = cancel;
        }

        using var activity = TraceContext.StartCall(SchedulerTelemetry.ActivitySource, "faas.v1.Scheduler/Leases acquire", acquire.Traceparent);
        try
        {
            var admission = await broker.AdmitAsync(function, this, cancel.Token).ConfigureAwait(false);
            if (Place(acquire, admission) is { } grant)
            {
                Post(new LeaseServerMessage { Grant = grant });
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The gateway cancelled it (its caller went away, or a lease of its own came free first) or the stream
            // ended: nothing was granted, and nobody waits for an answer.
        }
        catch (Exception ex) when (SchedulerService.StatusOf(ex) is { } status)
        {
            Refuse(acquire.RequestId, status);
        }
        catch (Exception ex)
        {
            LogAcquireFailed(logger, acquire.Function.Name, ex);
            Refuse(acquire.RequestId, new RpcException(new Status(StatusCode.Internal, $"The lease could not be granted: {ex.Message}")));
        }
        finally
        {
            lock (gate)
            {
                acquiring.Remove(acquire.RequestId);
            }
        }
    }

    /// <summary>Places the admitted call and holds it as a lease; null when it went to Dispatch instead (then the admission is given back).</summary>
    private LeaseGrant? Place(LeaseAcquire acquire, Admission admission)
    {
        var function = acquire.Function;
        Placement.Placement where;
        try
        {
            var exclude = acquire.ExcludeSinkIds.Count == 0 ? null : sinks.Sinks.Where(s => acquire.ExcludeSinkIds.Contains(s.Id)).ToList();
            where = placement.Place(function, exclude);
        }
        catch
        {
            admission.Dispose();
            throw;
        }

        if (where.Push is not { } sink)
        {
            // Only sinks that pull can take it now: the sink manager hands it over, through Dispatch.
            admission.Dispose();
            Post(new LeaseServerMessage { Refusal = new LeaseRefusal { RequestId = acquire.RequestId, Dispatch = true } });
            return null;
        }

        HeldLease lease;
        lock (gate)
        {
            lease = new HeldLease(++nextLeaseId, function, sink, admission);
            leases.Add(lease.Id, lease);
        }

        lease.OnLost = sink.Lost.UnsafeRegister(static state =>
        {
            var (session, lost) = ((LeaseSession, HeldLease))state!;
            ThreadPool.UnsafeQueueUserWorkItem(s => s.Session.Revoke(s.Lease, "the sink went offline"), (Session: session, Lease: lost), preferLocal: false);
        }, (this, lease));
        if (ended.IsCancellationRequested)
        {
            // The stream ended while this was placed: ReleaseAll may have run before the lease was added.
            Forget(lease.Id)?.Release(moduleLoaded: false);
            return null;
        }

        return new LeaseGrant
        {
            RequestId = acquire.RequestId, LeaseId = lease.Id, SinkId = sink.Id, SinkName = sink.Name,
            PushAddress = sink.PushAddress, QueueMicros = (ulong)(admission.Waited.Ticks / 10),
        };
    }

    private static RpcException? Validate(LeaseAcquire acquire) =>
        acquire.Function is null || string.IsNullOrEmpty(acquire.Function.ModuleSha256)
            ? new RpcException(new Status(StatusCode.InvalidArgument, "A lease needs a function with a module."))
            : !Guid.TryParse(acquire.Function.TenantId, out _)
                ? new RpcException(new Status(StatusCode.InvalidArgument, $"A lease needs its function's tenant id (a UUID); got '{acquire.Function.TenantId}'."))
                : null;

    private void Refuse(ulong requestId, RpcException error) => Post(new LeaseServerMessage
    {
        Refusal = new LeaseRefusal
        {
            RequestId = requestId, StatusCode = (int)error.StatusCode, StatusDetail = error.Status.Detail,
            RetryAfterSeconds = uint.TryParse(error.Trailers.GetValue(Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader), out var seconds) ? seconds : 0,
        },
    });

    private void Return(ulong leaseId, bool moduleLoaded) => Forget(leaseId)?.Release(moduleLoaded);

    private HeldLease? Forget(ulong leaseId)
    {
        lock (gate)
        {
            return leases.Remove(leaseId, out var lease) ? lease : null;
        }
    }

    /// <summary>The lease's sink was lost: it is void, and the gateway hears so (a call running on it will not get a result).</summary>
    private void Revoke(HeldLease lease, string reason)
    {
        if (Forget(lease.Id) is { } gone)
        {
            gone.Release(moduleLoaded: false);
            Post(new LeaseServerMessage { Revoke = new LeaseRevoke { LeaseIds = { gone.Id }, Reason = $"Sink {gone.Sink.Name}: {reason}" } });
        }
    }

    /// <summary>Asks the gateway to give back its idle leases of the tenant (of one function, when named) and, for <paramref name="window"/>, each busy one as its call ends.</summary>
    public void Reclaim(string tenantId, string? functionName, TimeSpan window)
    {
        lock (gate)
        {
            if (!leases.Values.Any(l => l.TenantId == tenantId && (functionName is null || l.FunctionName == functionName)))
            {
                return;
            }
        }

        Post(new LeaseServerMessage { Reclaim = new LeaseReclaim { TenantId = tenantId, FunctionName = functionName ?? "", ForMs = (uint)window.TotalMilliseconds } });
    }

    /// <summary>Whether the stream holds a lease of the tenant.</summary>
    public bool Holds(string tenantId)
    {
        lock (gate)
        {
            return leases.Values.Any(l => l.TenantId == tenantId);
        }
    }

    private void ReleaseAll()
    {
        List<HeldLease> all;
        lock (gate)
        {
            all = [.. leases.Values];
            leases.Clear();
        }

        foreach (var lease in all)
        {
            lease.Release(moduleLoaded: false);
        }

        if (all.Count > 0)
        {
            LogReleased(logger, Peer, all.Count);
        }
    }

    private void Post(LeaseServerMessage message) => outbox.Writer.TryWrite(message);

    private async Task WriteAsync(IServerStreamWriter<LeaseServerMessage> responses)
    {
        try
        {
            await foreach (var message in outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await responses.WriteAsync(message).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // The stream is gone: the reader's end gives everything back.
            await ended.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends the session when the gateway has said nothing for <see cref="LeaseOptions.Expiry"/>.</summary>
    private async Task WatchSilenceAsync()
    {
        using var timer = new PeriodicTimer(options.KeepAlive);
        try
        {
            while (await timer.WaitForNextTickAsync(ended.Token).ConfigureAwait(false))
            {
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref lastHeard)) > options.Expiry)
                {
                    LogExpired(logger, Peer, Count, options.Expiry.TotalMilliseconds);
                    await ended.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Lease stream of {Peer} was silent for {ExpiryMs} ms: its {Count} lease(s) are taken back")]
    private static partial void LogExpired(ILogger logger, string peer, int count, double expiryMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Lease stream of {Peer} ended: {Count} lease(s) given back")]
    private static partial void LogReleased(ILogger logger, string peer, int count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "A lease of function {Function} could not be granted")]
    private static partial void LogAcquireFailed(ILogger logger, string function, Exception error);
}
