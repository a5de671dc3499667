using System.Collections.Concurrent;
using Faas.Storage.Identity;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Caching;

/// <summary>
/// Every tenant's effective quota, read from PostgreSQL once and cached; a quota changed anywhere in the mesh is
/// announced over Redis pub/sub and dropped from every cache at once.
/// </summary>
public sealed class TenantQuotas(IdentityStore store, IConnectionMultiplexer redis, IOptions<TenancyOptions> options, TimeProvider time)
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("faas:tenants:changed");
    private readonly ConcurrentDictionary<Guid, (EffectiveQuota Quota, long ReadAt)> cache = new();
    private int subscribed;

    /// <summary>Raised when a tenant's quota may have changed.</summary>
    public event Action<Guid>? Changed;

    public ValueTask<EffectiveQuota> GetAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        EnsureSubscribed();
        return cache.TryGetValue(tenantId, out var entry) && time.GetElapsedTime(entry.ReadAt) < options.Value.QuotaCacheDuration
            ? ValueTask.FromResult(entry.Quota)
            : new ValueTask<EffectiveQuota>(ReadAsync(tenantId, cancellationToken));
    }

    /// <summary>The defaults filled into a tenant's own quota.</summary>
    public EffectiveQuota Effective(TenantQuota quota)
    {
        var defaults = options.Value;
        return new EffectiveQuota(
            quota.MaxFunctions ?? defaults.MaxFunctions,
            quota.MaxConcurrentExecutions ?? defaults.MaxConcurrentExecutions,
            quota.InvocationsPerSecond ?? defaults.InvocationsPerSecond,
            quota.InvocationBurst ?? defaults.InvocationBurst);
    }

    /// <summary>Stores a tenant's quota and tells every service; false when there is no such tenant.</summary>
    public async Task<bool> SetAsync(Guid tenantId, TenantQuota quota, CancellationToken cancellationToken)
    {
        if (!await store.SetQuotaAsync(tenantId, quota, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        Forget(tenantId);
        await redis.GetSubscriber().PublishAsync(Channel, tenantId.ToString("N")).ConfigureAwait(false);
        return true;
    }

    private async Task<EffectiveQuota> ReadAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var startedAt = time.GetTimestamp();
        var tenant = await store.GetTenantAsync(tenantId, cancellationToken).ConfigureAwait(false);
        var quota = Effective(tenant?.Quota ?? new TenantQuota());
        cache[tenantId] = (quota, startedAt);
        return quota;
    }

    private void Forget(Guid tenantId)
    {
        cache.TryRemove(tenantId, out _);
        Changed?.Invoke(tenantId);
    }

    private void EnsureSubscribed()
    {
        if (Volatile.Read(ref subscribed) == 1 || Interlocked.Exchange(ref subscribed, 1) == 1)
        {
            return;
        }

        _ = redis.GetSubscriber().SubscribeAsync(Channel, (channel, message) =>
        {
            if (Guid.TryParseExact((string?)message, "N", out var tenantId))
            {
                Forget(tenantId);
            }
        });
    }
}
