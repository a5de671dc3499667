using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.HttpFunctions;

/// <summary>Settings of HTTP functions' routes (section "Gateway:HttpFunctions").</summary>
public sealed class HttpFunctionOptions
{
    public const string SectionName = "Gateway:HttpFunctions";

    /// <summary>
    /// Public-route requests one client address may make for functions that are not there (or not public) in
    /// <see cref="PublicMissWindow"/>; past it that address's public requests are 429 until the window refills, so nobody
    /// probes tenants' function names, or makes the gateway look up random ones, faster than this.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PublicMissesPerAddress { get; set; } = 30;

    public TimeSpan PublicMissWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Anonymous callers of the public route: each client address may miss (name a function that is not there or not public)
/// <see cref="HttpFunctionOptions.PublicMissesPerAddress"/> times per window. Hits cost nothing; a webhook sender that
/// calls real functions is never slowed.
/// </summary>
public sealed class PublicRouteGuard : IDisposable
{
    private readonly PartitionedRateLimiter<string> misses;

    public PublicRouteGuard(IOptions<HttpFunctionOptions> options)
    {
        var settings = options.Value;
        misses = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.PublicMissesPerAddress,
            TokensPerPeriod = settings.PublicMissesPerAddress,
            ReplenishmentPeriod = settings.PublicMissWindow,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Whether the address has misses left (checked before looking anything up).</summary>
    public bool MayLookUp(string address) => misses.GetStatistics(address) is not { CurrentAvailablePermits: <= 0 };

    /// <summary>Counts a miss of the address.</summary>
    public void Missed(string address)
    {
        using var _ = misses.AttemptAcquire(address);
    }

    public void Dispose() => misses.Dispose();
}
