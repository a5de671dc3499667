using Faas.Gateway.HttpFunctions;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Tests.HttpFunctions;

/// <summary>Anonymous callers of the public route may miss a bounded number of times per address and window.</summary>
public sealed class PublicRouteGuardTests
{
    [Fact]
    public void An_address_that_used_up_its_misses_may_not_look_up_until_the_window_refills_and_others_still_may()
    {
        using var guard = new PublicRouteGuard(Options.Create(new HttpFunctionOptions { PublicMissesPerAddress = 3, PublicMissWindow = TimeSpan.FromHours(1) }));

        for (var i = 0; i < 3; i++)
        {
            Assert.True(guard.MayLookUp("127.0.0.5"));
            guard.Missed("127.0.0.5");
        }

        Assert.False(guard.MayLookUp("127.0.0.5"));
        Assert.True(guard.MayLookUp("127.0.0.6"));
    }

    [Fact]
    public void Looking_up_costs_nothing_only_missing_does()
    {
        using var guard = new PublicRouteGuard(Options.Create(new HttpFunctionOptions { PublicMissesPerAddress = 1, PublicMissWindow = TimeSpan.FromHours(1) }));

        for (var i = 0; i < 100; i++)
        {
            Assert.True(guard.MayLookUp("127.0.0.5"));
        }

        guard.Missed("127.0.0.5");
        Assert.False(guard.MayLookUp("127.0.0.5"));
    }
}
