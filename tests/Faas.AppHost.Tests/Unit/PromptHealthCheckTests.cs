using Faas.AppHost.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faas.AppHost.Tests.Unit;

public sealed class PromptHealthCheckTests
{
    private static readonly HealthCheckContext Context = new()
    {
        Registration = new HealthCheckRegistration("x", new ScriptedCheck([]), failureStatus: null, tags: null),
    };

    [Fact]
    public async Task A_starting_resource_is_asked_again_until_it_is_healthy_and_reported_healthy_in_the_same_check()
    {
        var inner = new ScriptedCheck([HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Healthy]);
        var check = new PromptHealthCheck(inner, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5));

        var result = await check.CheckHealthAsync(Context);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(4, inner.Calls);
    }

    [Fact]
    public async Task A_resource_that_stays_unhealthy_is_reported_unhealthy_once_patience_runs_out()
    {
        var inner = new ScriptedCheck([HealthStatus.Unhealthy]);
        var check = new PromptHealthCheck(inner, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(200));

        var result = await check.CheckHealthAsync(Context);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.True(inner.Calls > 1, "a resource that is not healthy is asked again before the answer is given");
        Assert.Equal($"answer {inner.Calls}", result.Description); // the latest answer, not the first
    }

    [Fact]
    public async Task A_resource_that_was_healthy_is_reported_unhealthy_at_the_first_failed_answer()
    {
        var inner = new ScriptedCheck([HealthStatus.Healthy, HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Unhealthy]);
        var check = new PromptHealthCheck(inner, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5));

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(Context)).Status);
        Assert.Equal(HealthStatus.Unhealthy, (await check.CheckHealthAsync(Context)).Status);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task Stopping_cancels_a_check_that_is_waiting()
    {
        var inner = new ScriptedCheck([HealthStatus.Unhealthy]);
        var check = new PromptHealthCheck(inner, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5));
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check.CheckHealthAsync(Context, stop.Token));
    }

    /// <summary>Answers the statuses in order, then the last one again.</summary>
    private sealed class ScriptedCheck(HealthStatus[] answers) : IHealthCheck
    {
        public int Calls { get; private set; }

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = answers.Length == 0 ? HealthStatus.Healthy : answers[Math.Min(Calls, answers.Length - 1)];
            Calls++;
            return Task.FromResult(new HealthCheckResult(status, $"answer {Calls}"));
        }
    }
}
