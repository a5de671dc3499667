using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Auth;

/// <summary>
/// Keeps sink logins from costing the sink manager its heartbeats: bcrypt checks run <see cref="SinkManagerOptions.MaxConcurrentLogins"/>
/// at a time (a few more wait; beyond that, refused), and a client address with
/// <see cref="SinkManagerOptions.MaxLoginFailuresPerAddress"/> failed logins in <see cref="SinkManagerOptions.LoginFailureWindow"/>
/// is refused until the window moves on, even with a right credential.
/// </summary>
public sealed class SinkLoginGuard : IDisposable
{
    private readonly ConcurrencyLimiter checks;
    private readonly PartitionedRateLimiter<string> failures;
    private readonly TimeSpan window;

    public SinkLoginGuard(IOptions<SinkManagerOptions> options)
    {
        var o = options.Value;
        window = o.LoginFailureWindow;
        checks = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = o.MaxConcurrentLogins,
            QueueLimit = 4 * o.MaxConcurrentLogins,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = o.MaxLoginFailuresPerAddress,
            Window = o.LoginFailureWindow,
            SegmentsPerWindow = 5,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Null when the address may try a login; otherwise how long it must wait.</summary>
    public TimeSpan? Blocked(string address)
    {
        using var lease = failures.AttemptAcquire(address, 0);
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : window;
    }

    public void Failed(string address) => failures.AttemptAcquire(address).Dispose();

    /// <summary>A turn to check a credential; not acquired when too many logins are already waiting.</summary>
    public ValueTask<RateLimitLease> EnterAsync(CancellationToken cancellationToken) => checks.AcquireAsync(1, cancellationToken);

    public void Dispose()
    {
        checks.Dispose();
        failures.Dispose();
    }
}
