using Faas.ServiceDefaults.Retries;

namespace Faas.Scheduler.Tests;

/// <summary>The platform's one backoff: doubling, capped, never early, and started over by a success.</summary>
public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(4, 800)]
    [InlineData(9, 2000)] // 25.6 s, capped
    public void A_delay_is_between_half_and_all_of_the_capped_doubling(int attempt, double fullMs)
    {
        var low = Backoff.Delay(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), new ZeroRandom());
        var high = Backoff.Delay(attempt, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), new OneRandom());

        Assert.Equal(fullMs / 2, low.TotalMilliseconds, 3);
        Assert.Equal(fullMs, high.TotalMilliseconds, 0.1);
    }

    [Fact]
    public void A_loop_backs_off_further_at_each_failure_and_starts_over_after_a_success()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

        var first = backoff.Next();
        var third = new[] { backoff.Next(), backoff.Next() }[1];
        backoff.Reset();
        var again = backoff.Next();

        Assert.InRange(first.TotalMilliseconds, 50, 100);
        Assert.InRange(third.TotalMilliseconds, 200, 400);
        Assert.InRange(again.TotalMilliseconds, 50, 100);
        for (var i = 0; i < 100; i++)
        {
            Assert.InRange(backoff.Next().TotalMilliseconds, 0, 5000);
        }
    }

    [Fact]
    public void Attempt_zero_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));

    private sealed class ZeroRandom : Random
    {
        public override double NextDouble() => 0;
    }

    private sealed class OneRandom : Random
    {
        public override double NextDouble() => 0.99999;
    }
}
