using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Faas.Protos.V1;
using Faas.ServiceDefaults.Tracing;
using Grpc.Core;

namespace Faas.Gateway.Invocation.Leases;

/// <summary>
/// One lease stream to the scheduler (<c>Scheduler.Leases</c>): acquires matched to their grant or refusal by request id,
/// returns, revocations, reclaims, and a keep-alive both ways. When it ends every lease it brought is void (the scheduler
/// took them back) and every acquire still waiting fails with UNAVAILABLE.
/// </summary>
internal sealed partial class LeaseStream
{
    private static readonly TimeSpan TermsWait = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<ulong, PendingAcquire> pending = new();
    private readonly ConcurrentDictionary<ulong, SlotLease> leases = new();
    private readonly Channel<LeaseClientMessage> outbox = Channel.CreateUnbounded<LeaseClientMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource ended = new();
    private readonly AsyncDuplexStreamingCall<LeaseClientMessage, LeaseServerMessage> call;
    private readonly SlotLeases owner;
    private readonly ILogger logger;
    private long lastHeard = Stopwatch.GetTimestamp();
    private ulong nextRequestId;
    private TimeSpan keepAlive;
    private TimeSpan expiry;

    internal LeaseStream(AsyncDuplexStreamingCall<LeaseClientMessage, LeaseServerMessage> call, SlotLeases owner, ILogger logger)
    {
        this.call = call;
        this.owner = owner;
        this.logger = logger;
    }

    public bool IsAlive => !ended.IsCancellationRequested;

    /// <summary>Ends the stream's life as far as its leases go (they are void from now on).</summary>
    internal void End() => ended.Cancel();

    /// <summary>Leases this stream brought that are not void.</summary>
    public int Count => leases.Count;

    /// <summary>Opens the stream and reads the scheduler's terms; then <see cref="RunAsync"/> serves it.</summary>
    public static async Task<LeaseStream> OpenAsync(Protos.V1.Scheduler.SchedulerClient client, SlotLeases owner, ILogger logger, CancellationToken cancellationToken)
    {
        var call = client.Leases(cancellationToken: cancellationToken);
        var stream = new LeaseStream(call, owner, logger);
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TermsWait);
            if (!await call.ResponseStream.MoveNext(wait.Token).ConfigureAwait(false) || call.ResponseStream.Current.Terms is not { } terms)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "The scheduler's lease stream did not begin with its terms."));
            }

            stream.keepAlive = TimeSpan.FromMilliseconds(Math.Max(100, terms.KeepAliveMs));
            stream.expiry = TimeSpan.FromMilliseconds(Math.Max(terms.KeepAliveMs * 2L, terms.ExpiryMs));
            return stream;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Serves the stream until it breaks, the scheduler falls silent past its expiry, or the gateway stops.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var stop = stopping.Register(static s => ((CancellationTokenSource)s!).Cancel(), ended);
        var writing = WriteAsync();
        var beating = KeepAliveAsync();
        try
        {
            while (await call.ResponseStream.MoveNext(ended.Token).ConfigureAwait(false))
            {
                Volatile.Write(ref lastHeard, Stopwatch.GetTimestamp());
                Handle(call.ResponseStream.Current);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException)
        {
            if (!stopping.IsCancellationRequested)
            {
                LogStreamBroke(logger, ex.Message);
            }
        }
        finally
        {
            await ended.CancelAsync().ConfigureAwait(false);
            outbox.Writer.TryComplete();
            var gone = new RpcException(new Status(StatusCode.Unavailable, "The lease stream to the scheduler broke before the lease was granted."));
            foreach (var (requestId, acquire) in pending)
            {
                if (acquire.Pool is { } pool)
                {
                    pool.Refused(this, requestId, gone);
                }
                else
                {
                    acquire.Waiter!.Fail(gone);
                }
            }

            pending.Clear();
            leases.Clear();
            await Task.WhenAll(writing, beating).ConfigureAwait(false);
            call.Dispose();
        }
    }

    /// <summary>
    /// Sends an acquire for a waiting call of the version (<see cref="KeyLeases"/>): whichever waiting call is first when
    /// its grant comes takes the lease.
    /// </summary>
    public void Acquire(FunctionSpec function, LeaseKey key, KeyLeases pool)
    {
        var requestId = Interlocked.Increment(ref nextRequestId);
        pending[requestId] = new PendingAcquire(key, pool, null);
        pool.AddOutstanding(this, requestId);
        if (!IsAlive || !outbox.Writer.TryWrite(new LeaseClientMessage { Acquire = new LeaseAcquire { RequestId = requestId, Function = function, Traceparent = TraceContext.Current } }))
        {
            if (pending.TryRemove(requestId, out _))
            {
                pool.Refused(this, requestId, new RpcException(new Status(StatusCode.Unavailable, "The lease stream to the scheduler is down.")));
            }
        }
    }

    /// <summary>
    /// Asks for a lease for one call that must avoid <paramref name="exclude"/> (sinks it already tried); null when the
    /// call is to go through Dispatch (JOB mode, or only sinks that pull can take it).
    /// </summary>
    public async Task<SlotLease?> AcquireAvoidingAsync(FunctionSpec function, LeaseKey key, IReadOnlyCollection<string> exclude, CancellationToken cancellationToken)
    {
        var requestId = Interlocked.Increment(ref nextRequestId);
        var waiter = new LeaseWaiter();
        pending[requestId] = new PendingAcquire(key, null, waiter);
        var acquire = new LeaseAcquire { RequestId = requestId, Function = function, Traceparent = TraceContext.Current };
        acquire.ExcludeSinkIds.Add(exclude);
        if (!IsAlive || !outbox.Writer.TryWrite(new LeaseClientMessage { Acquire = acquire }))
        {
            pending.TryRemove(requestId, out _);
            throw new RpcException(new Status(StatusCode.Unavailable, "The lease stream to the scheduler is down."));
        }

        try
        {
            return await waiter.Answer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (!CancelAcquire(requestId))
            {
                // The grant is arriving: a lease given to nobody serves the next call.
                _ = waiter.Answer.ContinueWith(
                    static (t, s) => { if (t.IsCompletedSuccessfully && t.Result is { } lease) ((SlotLeases)s!).Release(lease, lease.ModuleLoaded, keep: true); },
                    owner, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            throw;
        }
    }

    /// <summary>Tells the scheduler the acquire is no longer wanted; false when it was answered already (or the stream ended).</summary>
    public bool CancelAcquire(ulong requestId)
    {
        if (!pending.TryRemove(requestId, out _))
        {
            return false;
        }

        outbox.Writer.TryWrite(new LeaseClientMessage { Cancel = new LeaseCancel { RequestId = requestId } });
        return true;
    }

    /// <summary>Gives the lease back to the scheduler (nothing to do once the stream ended: the scheduler took it back then).</summary>
    public void Return(SlotLease lease, bool moduleLoaded)
    {
        if (leases.TryRemove(lease.Id, out _))
        {
            Send(new LeaseReturn { LeaseId = lease.Id, ModuleLoaded = moduleLoaded });
        }
    }

    /// <summary>A grant: the lease serves the call that asked (or, for a version's acquire, the one waiting longest).</summary>
    private void Granted(LeaseGrant grant)
    {
        if (!pending.TryRemove(grant.RequestId, out var asked))
        {
            // Nobody waits for it any more (the acquire was cancelled after the scheduler granted it): it goes back.
            Send(new LeaseReturn { LeaseId = grant.LeaseId });
            return;
        }

        var lease = new SlotLease(this, asked.Key, grant);
        leases[lease.Id] = lease;
        if (asked.Pool is not { } pool)
        {
            asked.Waiter!.Serve(lease);
        }
        else if (!pool.Granted(this, grant.RequestId, lease, owner.IsReclaiming(asked.Key)))
        {
            Return(lease, moduleLoaded: false);
        }
    }

    private static RpcException Refusal(LeaseRefusal refusal) => new(
        new Status((StatusCode)refusal.StatusCode, refusal.StatusDetail),
        refusal.RetryAfterSeconds == 0 ? [] : new Metadata { { Faas.ServiceDefaults.Errors.ErrorResponse.RetryAfterHeader, refusal.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture) } });

    private void Send(LeaseReturn message) => outbox.Writer.TryWrite(new LeaseClientMessage { Return = message });

    private void Handle(LeaseServerMessage message)
    {
        switch (message.KindCase)
        {
            case LeaseServerMessage.KindOneofCase.Grant:
                Granted(message.Grant);
                break;
            case LeaseServerMessage.KindOneofCase.Refusal:
                if (pending.TryRemove(message.Refusal.RequestId, out var refused))
                {
                    var error = message.Refusal.Dispatch ? null : Refusal(message.Refusal);
                    if (refused.Pool is { } pool)
                    {
                        pool.Refused(this, message.Refusal.RequestId, error);
                    }
                    else if (error is null)
                    {
                        refused.Waiter!.Serve(null);
                    }
                    else
                    {
                        refused.Waiter!.Fail(error);
                    }
                }

                break;
            case LeaseServerMessage.KindOneofCase.Revoke:
                foreach (var id in message.Revoke.LeaseIds)
                {
                    if (leases.TryRemove(id, out var lease))
                    {
                        lease.Revoke();
                    }
                }

                LogRevoked(logger, message.Revoke.LeaseIds.Count, message.Revoke.Reason);
                break;
            case LeaseServerMessage.KindOneofCase.Reclaim:
                owner.Reclaim(message.Reclaim.TenantId, message.Reclaim.FunctionName, TimeSpan.FromMilliseconds(message.Reclaim.ForMs));
                break;
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await foreach (var message in outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await call.RequestStream.WriteAsync(message).ConfigureAwait(false);
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            await ended.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Speaks every keep-alive interval; ends the stream when the scheduler has said nothing for its expiry.</summary>
    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(keepAlive);
        try
        {
            while (await timer.WaitForNextTickAsync(ended.Token).ConfigureAwait(false))
            {
                outbox.Writer.TryWrite(new LeaseClientMessage { KeepAlive = new LeaseKeepAlive() });
                if (Stopwatch.GetElapsedTime(Volatile.Read(ref lastHeard)) > expiry)
                {
                    LogSchedulerSilent(logger, expiry.TotalMilliseconds);
                    await ended.CancelAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "The lease stream to the scheduler broke: {Reason}")]
    private static partial void LogStreamBroke(ILogger logger, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "The scheduler said nothing on the lease stream for {ExpiryMs} ms: its leases are void")]
    private static partial void LogSchedulerSilent(ILogger logger, double expiryMs);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "{Count} lease(s) revoked: {Reason}")]
    private static partial void LogRevoked(ILogger logger, int count, string reason);
}

/// <summary>An acquire waiting for the scheduler's answer: for a version's waiting calls (<see cref="Pool"/>), or for one call (<see cref="Waiter"/>).</summary>
internal sealed record PendingAcquire(LeaseKey Key, KeyLeases? Pool, LeaseWaiter? Waiter);
