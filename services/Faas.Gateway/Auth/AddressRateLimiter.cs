using System.Threading.RateLimiting;

namespace Faas.Gateway.Auth;

/// <summary>
/// One client address's limiter chained to the one every address shares: a request needs a permit from both. The
/// partitioned limiter disposes it once its address has been idle; it disposes the address's own, never the shared one.
/// </summary>
public sealed class AddressRateLimiter : RateLimiter
{
    private readonly RateLimiter address;
    private readonly RateLimiter both;

    public AddressRateLimiter(RateLimiter address, RateLimiter shared)
    {
        this.address = address;
        both = CreateChained(address, shared);
    }

    /// <summary>The address's own idleness: the shared limiter is never idle while others use it.</summary>
    public override TimeSpan? IdleDuration => address.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => address.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => both.AttemptAcquire(permitCount);

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        both.AcquireAsync(permitCount, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            both.Dispose();
            address.Dispose();
        }

        base.Dispose(disposing);
    }
}
