using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Faas.Caching;
using Faas.Gateway.Errors;

namespace Faas.Gateway.Invocation;

/// <summary>
/// Each tenant's invocations-per-second quota (invoke and enqueue together): a token bucket per tenant, rebuilt
/// when the tenant's quota changes. Over it: RESOURCE_EXHAUSTED / HTTP 429 with Retry-After.
/// </summary>
public sealed class InvocationRateLimiter : IDisposable
{
    private readonly TenantQuotas quotas;
    private readonly ConcurrentDictionary<Guid, (TokenBucketRateLimiter Limiter, EffectiveQuota Quota)> buckets = new();

    public InvocationRateLimiter(TenantQuotas quotas)
    {
        this.quotas = quotas;
        quotas.Changed += tenantId =>
        {
            if (buckets.TryRemove(tenantId, out var old))
            {
                old.Limiter.Dispose();
            }
        };
    }

    public async ValueTask AcquireAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var quota = await quotas.GetAsync(tenantId, cancellationToken).ConfigureAwait(false);
        var bucket = buckets.AddOrUpdate(
            tenantId,
            (_, q) => (Create(q), q),
            (_, existing, q) =>
            {
                if (existing.Quota == q)
                {
                    return existing;
                }

                existing.Limiter.Dispose();
                return (Create(q), q);
            },
            quota);
        using var lease = bucket.Limiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
            throw new CapacityExceededException(
                $"The tenant's quota of {quota.InvocationsPerSecond} invocations per second (burst {quota.InvocationBurst}) is used up.",
                Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)));
        }
    }

    public void Dispose()
    {
        foreach (var bucket in buckets.Values)
        {
            bucket.Limiter.Dispose();
        }
    }

    private static TokenBucketRateLimiter Create(EffectiveQuota quota)
    {
        // Refill every 100 ms where the rate divides evenly (smooth without a timer per token), else every second.
        var (perPeriod, period) = quota.InvocationsPerSecond % 10 == 0
            ? (quota.InvocationsPerSecond / 10, TimeSpan.FromMilliseconds(100))
            : (quota.InvocationsPerSecond, TimeSpan.FromSeconds(1));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(quota.InvocationBurst, perPeriod),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
