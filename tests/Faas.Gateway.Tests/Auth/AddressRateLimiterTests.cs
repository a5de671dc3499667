using System.Threading.RateLimiting;
using Faas.Gateway.Auth;

namespace Faas.Gateway.Tests.Auth;

public class AddressRateLimiterTests
{
    private static TokenBucketRateLimiter Bucket(int permits) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = permits, TokensPerPeriod = 1, ReplenishmentPeriod = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = false,
    });

    [Fact]
    public void An_address_is_limited_by_its_own_window_and_every_address_by_the_shared_one()
    {
        using var shared = Bucket(5);
        using var first = new AddressRateLimiter(Bucket(3), shared);
        using var second = new AddressRateLimiter(Bucket(3), shared);

        for (var i = 0; i < 3; i++)
        {
            Assert.True(first.AttemptAcquire().IsAcquired);
        }

        using var refused = first.AttemptAcquire();
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero);

        Assert.True(second.AttemptAcquire().IsAcquired);
        Assert.True(second.AttemptAcquire().IsAcquired);
        Assert.False(second.AttemptAcquire().IsAcquired); // the shared bucket's five are used, though this address had one left
    }

    [Fact]
    public void Disposing_an_idle_address_leaves_the_shared_window_to_the_others()
    {
        using var shared = Bucket(5);
        var idle = new AddressRateLimiter(Bucket(3), shared);
        Assert.True(idle.AttemptAcquire().IsAcquired);
        idle.Dispose();

        using var other = new AddressRateLimiter(Bucket(3), shared);
        Assert.True(other.AttemptAcquire().IsAcquired);
        Assert.True(shared.AttemptAcquire().IsAcquired);
    }
}
