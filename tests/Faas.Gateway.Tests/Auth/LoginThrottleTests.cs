using Faas.Gateway.Auth;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Tests.Auth;

public class LoginThrottleTests
{
    private static LoginThrottle Throttle(int perAccount = 3, int perAddress = 5) => new(Options.Create(new AuthOptions
    {
        MaxLoginFailuresPerAccount = perAccount,
        MaxLoginFailuresPerAddress = perAddress,
        LoginFailureWindow = TimeSpan.FromMinutes(10),
    }));

    [Fact]
    public void An_account_is_blocked_after_its_failures_whatever_the_address_and_case()
    {
        using var throttle = Throttle();
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(throttle.Blocked("ada@example.com", $"10.0.0.{i}"));
            throttle.Failed(i % 2 == 0 ? "ada@example.com" : "ADA@example.com", $"10.0.0.{i}");
        }

        var wait = throttle.Blocked("Ada@Example.com", "10.0.0.99");
        Assert.NotNull(wait);
        Assert.True(wait > TimeSpan.Zero);
        Assert.Null(throttle.Blocked("grace@example.com", "10.0.0.99"));
    }

    [Fact]
    public void An_address_is_blocked_after_failures_across_accounts()
    {
        using var throttle = Throttle(perAccount: 100, perAddress: 5);
        for (var i = 0; i < 5; i++)
        {
            throttle.Failed($"user{i}@example.com", "192.0.2.7");
        }

        Assert.NotNull(throttle.Blocked("someone-new@example.com", "192.0.2.7"));
        Assert.Null(throttle.Blocked("someone-new@example.com", "192.0.2.8"));
    }
}
