using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Sinks;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Leases;

/// <summary>
/// Slot leases, the scheduler's side of the one-hop synchronous path: every gateway's lease stream
/// (<see cref="LeaseSession"/>), admission for their acquires, and the call-backs that keep idle leases from holding
/// what others wait for — a function's slots, a tenant's share or quota.
/// </summary>
public sealed class LeaseBroker
{
    private static readonly TimeSpan QuotaRetryInterval = TimeSpan.FromMilliseconds(20);

    private readonly ConcurrentDictionary<LeaseSession, byte> sessions = new();
    private readonly Dispatcher dispatcher;
    private readonly PlacementPolicy placement;
    private readonly ISinkView sinks;
    private readonly LeaseOptions options;
    private readonly ILogger<LeaseBroker> logger;
    private readonly Counter<long> reclaims;

    public LeaseBroker(
        Dispatcher dispatcher, PlacementPolicy placement, ISinkView sinks, IOptions<LeaseOptions> options, IMeterFactory meterFactory, ILogger<LeaseBroker> logger)
    {
        this.dispatcher = dispatcher;
        this.placement = placement;
        this.sinks = sinks;
        this.options = options.Value;
        this.logger = logger;
        var meter = meterFactory.Create(SchedulerTelemetry.MeterName);
        meter.CreateObservableGauge("faas.scheduler.leases", () => sessions.Keys.Sum(s => s.Count), description: "Slot leases held by gateways");
        meter.CreateObservableGauge("faas.scheduler.lease_streams", () => sessions.Count, description: "Gateways holding a lease stream");
        reclaims = meter.CreateCounter<long>("faas.scheduler.lease_reclaims", description: "Times gateways were asked to give back idle leases because others waited, by cause");
    }

    /// <summary>Leases held by every gateway now.</summary>
    public int Held => sessions.Keys.Sum(s => s.Count);

    /// <summary>Serves one gateway's lease stream until it ends; what it held is given back then.</summary>
    public async Task ServeAsync(IAsyncStreamReader<LeaseClientMessage> requests, IServerStreamWriter<LeaseServerMessage> responses, ServerCallContext context)
    {
        var session = new LeaseSession(this, dispatcher, placement, sinks, options, logger, context.CancellationToken) { Peer = context.Peer };
        sessions.TryAdd(session, 0);
        try
        {
            await session.RunAsync(requests, responses).ConfigureAwait(false);
        }
        finally
        {
            sessions.TryRemove(session, out _);
        }
    }

    /// <summary>
    /// Admits an acquire as a dispatch is admitted; when it would wait for slots or a share that leases hold, their gateways
    /// are asked to give idle ones back. Over its tenant's quota while gateways hold the tenant's leases, it waits up to
    /// <see cref="LeaseOptions.QuotaReclaimWait"/> for them before it is refused.
    /// </summary>
    /// <param name="function">The function to admit.</param>
    /// <param name="requester">The stream that asked: it hands its own busy leases to its own waiters, so it is not asked for them.</param>
    /// <param name="cancellationToken">The acquire was cancelled, or its stream ended.</param>
    internal async Task<Admission> AdmitAsync(FunctionSpec function, LeaseSession requester, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.QuotaReclaimWait;
        while (true)
        {
            try
            {
                return await dispatcher.AdmitAsync(function, cancellationToken, slots => Reclaim(function.TenantId, slots ? function.Name : null, slots ? "function_slots" : "tenant_share", requester))
                    .ConfigureAwait(false);
            }
            catch (TenantConcurrencyExceededException) when (DateTime.UtcNow < deadline && sessions.Keys.Any(s => s.Holds(function.TenantId)))
            {
                Reclaim(function.TenantId, null, "tenant_quota", requester);
                await Task.Delay(QuotaRetryInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Asks the gateways holding such leases to give them back. The stream that asked gives its own busy leases of the
    /// function to its own waiters as their calls end, in its own order, so it is asked only for its idle leases of the
    /// tenant, and only when the tenant's share or quota is short (for the function's slots it holds none idle).
    /// </summary>
    private void Reclaim(string tenantId, string? functionName, string cause, LeaseSession requester)
    {
        reclaims.Add(1, new KeyValuePair<string, object?>("cause", cause));
        foreach (var session in sessions.Keys)
        {
            if (!ReferenceEquals(session, requester))
            {
                session.Reclaim(tenantId, functionName, options.ReclaimWindow);
            }
            else if (functionName is null)
            {
                session.Reclaim(tenantId, null, TimeSpan.Zero);
            }
        }
    }
}
