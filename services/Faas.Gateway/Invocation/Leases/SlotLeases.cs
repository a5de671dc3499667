using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Invocation.Leases;

/// <summary>
/// The gateway's slot leases: one lease stream to the scheduler, kept open (and opened again when it breaks), and the
/// idle leases by function version. A call takes an idle lease without asking anyone; only when none is idle does it
/// acquire one, and that acquire waits in the function's queue at the scheduler. A lease goes back after
/// <see cref="LeaseClientOptions.IdleReturn"/> unused, at once when the scheduler says others wait for what it holds,
/// and with everything else when the stream ends.
/// </summary>
public sealed partial class SlotLeases : BackgroundService
{
    private readonly ConcurrentDictionary<LeaseKey, KeyLeases> pools = new();
    private readonly ConcurrentDictionary<(string TenantId, string Name), long> reclaiming = new();
    private readonly Protos.V1.Scheduler.SchedulerClient client;
    private readonly LeaseClientOptions options;
    private readonly ILogger<SlotLeases> logger;
    private readonly Counter<long> acquires;
    private TaskCompletionSource<LeaseStream> next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile LeaseStream? current;

    public SlotLeases(Protos.V1.Scheduler.SchedulerClient client, IOptions<LeaseClientOptions> options, IMeterFactory meterFactory, ILogger<SlotLeases> logger)
    {
        this.client = client;
        this.options = options.Value;
        this.logger = logger;
        var meter = meterFactory.Create(GatewayTelemetry.MeterName);
        acquires = meter.CreateCounter<long>("faas.gateway.lease_acquires", description: "Slot leases asked of the scheduler (a call found none idle), by outcome");
        meter.CreateObservableGauge("faas.gateway.leases", () => current?.Count ?? 0, description: "Slot leases this gateway holds");
        meter.CreateObservableGauge("faas.gateway.leases.idle", () => pools.Values.Sum(p => p.IdleCount), description: "Slot leases held with no call on them");
    }

    /// <summary>
    /// A lease for one call of the function: an idle one, or one acquired from the scheduler (the acquire waits in the
    /// function's queue). Null: the call goes through Dispatch. Refusals are the status a Dispatch would have ended with.
    /// </summary>
    /// <param name="exclude">Sink ids the call must not go to (tried already): no idle lease is taken then.</param>
    public async ValueTask<SlotLease?> AcquireAsync(FunctionSpec function, IReadOnlyCollection<string>? exclude, CancellationToken cancellationToken)
    {
        var key = LeaseKey.Of(function);
        if (exclude is not null)
        {
            var stream = current is { IsAlive: true } live ? live : await WaitForStreamAsync(cancellationToken).ConfigureAwait(false);
            using var retry = StartAcquire(function);
            return Count(await stream.AcquireAvoidingAsync(function, key, exclude, cancellationToken).ConfigureAwait(false));
        }

        var pool = pools.GetOrAdd(key, static _ => new KeyLeases());
        if (pool.TakeOrWait(out var waiter, out var acquire) is { } idleLease)
        {
            return idleLease;
        }

        using var activity = acquire ? StartAcquire(function) : null;
        try
        {
            if (acquire)
            {
                var stream = current is { IsAlive: true } live ? live : await WaitForStreamAsync(cancellationToken).ConfigureAwait(false);
                stream.Acquire(function, key, pool);
            }

            return Count(await waiter!.Answer.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            if (!pool.Remove(waiter!) && waiter!.Answer.IsCompletedSuccessfully && waiter.Answer.Result is { } unused)
            {
                // Answered as the call gave up: the lease serves the next call.
                Release(unused, unused.ModuleLoaded, keep: true);
            }

            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            acquires.Add(1, new KeyValuePair<string, object?>("outcome", ex is RpcException rpc ? rpc.StatusCode.ToString() : "Cancelled"));
            throw;
        }
    }

    private static Activity? StartAcquire(FunctionSpec function)
    {
        var activity = GatewayTelemetry.ActivitySource.StartActivity("faas.lease.acquire");
        activity?.SetTag("faas.function", function.Name);
        return activity;
    }

    private SlotLease? Count(SlotLease? lease)
    {
        acquires.Add(1, new KeyValuePair<string, object?>("outcome", lease is null ? "dispatch" : "granted"));
        return lease;
    }

    /// <summary>
    /// The call on the lease ended. <paramref name="keep"/>: the sink is fine, and the lease serves the next call of the
    /// version waiting here, or waits idle for one (unless the scheduler is calling such leases back); otherwise it goes
    /// back now.
    /// </summary>
    public void Release(SlotLease lease, bool moduleLoaded, bool keep)
    {
        lease.ModuleLoaded = moduleLoaded;
        if (keep && lease.IsValid && !IsReclaiming(lease.Key))
        {
            pools.GetOrAdd(lease.Key, static _ => new KeyLeases()).HandOffOrKeep(lease);
            return;
        }

        lease.Stream.Return(lease, moduleLoaded);
    }

    /// <summary>
    /// The scheduler says others wait for what the tenant's leases hold (of one function when named): idle ones go back
    /// now and, for <paramref name="window"/>, busy ones as their call ends.
    /// </summary>
    internal void Reclaim(string tenantId, string functionName, TimeSpan window)
    {
        if (window > TimeSpan.Zero)
        {
            reclaiming[(tenantId, functionName)] = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        }

        foreach (var (key, pool) in pools)
        {
            if (key.TenantId == tenantId && (functionName.Length == 0 || key.Name == functionName))
            {
                foreach (var lease in pool.TakeIdleSince(long.MaxValue))
                {
                    lease.Stream.Return(lease, lease.ModuleLoaded);
                }

                // Acquires beyond the calls waiting here would only take slots others wait for.
                foreach (var (stream, requestId) in pool.TakeExcess())
                {
                    stream.CancelAcquire(requestId);
                }
            }
        }
    }

    /// <summary>Whether the scheduler is calling the version's leases back.</summary>
    internal bool IsReclaiming(LeaseKey key)
    {
        if (reclaiming.IsEmpty)
        {
            return false;
        }

        var now = Stopwatch.GetTimestamp();
        return (reclaiming.TryGetValue((key.TenantId, key.Name), out var until) && until > now)
            || (reclaiming.TryGetValue((key.TenantId, ""), out until) && until > now);
    }

    private async Task<LeaseStream> WaitForStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Volatile.Read(ref next).Task.WaitAsync(options.ConnectWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The scheduler could not be reached (no lease stream within {options.ConnectWait.TotalSeconds:0.#} s)."));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweeping = SweepAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var stream = await LeaseStream.OpenAsync(client, this, logger, stoppingToken).ConfigureAwait(false);
                current = stream;
                Interlocked.Exchange(ref next, new TaskCompletionSource<LeaseStream>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(stream);
                LogConnected(logger);
                await stream.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogConnectFailed(logger, ex.Message);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            current = null;
            DropVoid();
            try
            {
                await Task.Delay(options.ReconnectDelay, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await sweeping.ConfigureAwait(false);
    }

    /// <summary>Returns leases idle past <see cref="LeaseClientOptions.IdleReturn"/> and drops void ones.</summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(options.IdleReturn.TotalMilliseconds / 4, 20, 1000)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var cutoff = Stopwatch.GetTimestamp() - (long)(options.IdleReturn.TotalSeconds * Stopwatch.Frequency);
                foreach (var (key, pool) in pools)
                {
                    foreach (var lease in pool.TakeIdleSince(cutoff))
                    {
                        lease.Stream.Return(lease, lease.ModuleLoaded);
                    }

                    if (pool.IsEmpty)
                    {
                        // A version no longer called (a new deploy, a quiet function): a call that raced this makes a new one.
                        pools.TryRemove(KeyValuePair.Create(key, pool));
                    }
                }

                foreach (var (key, until) in reclaiming)
                {
                    if (until < Stopwatch.GetTimestamp())
                    {
                        reclaiming.TryRemove(KeyValuePair.Create(key, until));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void DropVoid()
    {
        foreach (var pool in pools.Values)
        {
            pool.TakeIdleSince(long.MinValue);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Lease stream to the scheduler is open")]
    private static partial void LogConnected(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "The lease stream to the scheduler could not be opened: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string reason);
}
