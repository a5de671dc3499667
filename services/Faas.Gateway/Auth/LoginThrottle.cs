using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Auth;

/// <summary>
/// Limits failed logins per account and per client address: each failure takes a permit from a sliding window; with
/// none left, logins for that account (or from that address) are refused with 429 until the window moves on, even
/// with the right password. Kept in the gateway's memory.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> accounts;
    private readonly PartitionedRateLimiter<string> addresses;
    private readonly TimeSpan window;

    public LoginThrottle(IOptions<AuthOptions> options)
    {
        var o = options.Value;
        window = o.LoginFailureWindow;
        accounts = Create(o.MaxLoginFailuresPerAccount, o.LoginFailureWindow);
        addresses = Create(o.MaxLoginFailuresPerAddress, o.LoginFailureWindow);
    }

    /// <summary>Null when a login may be tried; otherwise how long to wait.</summary>
    public TimeSpan? Blocked(string account, string address)
    {
        foreach (var (limiter, key) in new[] { (accounts, AccountKey(account)), (addresses, address) })
        {
            using var lease = limiter.AttemptAcquire(key, 0);
            if (!lease.IsAcquired)
            {
                return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : window;
            }
        }

        return null;
    }

    public void Failed(string account, string address)
    {
        accounts.AttemptAcquire(AccountKey(account)).Dispose();
        addresses.AttemptAcquire(address).Dispose();
    }

    public void Dispose()
    {
        accounts.Dispose();
        addresses.Dispose();
    }

    private static string AccountKey(string account) => account.Trim().ToLowerInvariant();

    private static PartitionedRateLimiter<string> Create(int failures, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = failures,
            Window = window,
            SegmentsPerWindow = 5,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
