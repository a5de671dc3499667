using Faas.SinkManager.Auth;
using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Tests;

public sealed class SinkLoginGuardTests
{
    private static SinkLoginGuard Guard(int failures = 3, int concurrent = 1) => new(Options.Create(new SinkManagerOptions
    {
        MaxLoginFailuresPerAddress = failures,
        MaxConcurrentLogins = concurrent,
        LoginFailureWindow = TimeSpan.FromMinutes(15),
    }));

    [Fact]
    public void An_address_with_too_many_failed_logins_is_refused_and_others_are_not()
    {
        using var guard = Guard(failures: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.Null(guard.Blocked("10.0.0.1"));
            guard.Failed("10.0.0.1");
        }

        var wait = guard.Blocked("10.0.0.1");
        Assert.NotNull(wait);
        Assert.True(wait > TimeSpan.Zero);
        Assert.Null(guard.Blocked("10.0.0.2"));
    }

    [Fact]
    public async Task Credential_checks_run_one_at_a_time_a_few_wait_and_more_are_refused()
    {
        using var guard = Guard(concurrent: 1);

        using var running = await guard.EnterAsync(CancellationToken.None);
        Assert.True(running.IsAcquired);
        var waiting = Enumerable.Range(0, 4).Select(_ => guard.EnterAsync(CancellationToken.None).AsTask()).ToList();
        Assert.All(waiting, w => Assert.False(w.IsCompleted));

        using var refused = await guard.EnterAsync(CancellationToken.None);
        Assert.False(refused.IsAcquired);

        running.Dispose();
        using var next = await waiting[0];
        Assert.True(next.IsAcquired);
        foreach (var lease in waiting.Skip(1))
        {
            next.Dispose();
            (await lease).Dispose();
        }
    }
}
