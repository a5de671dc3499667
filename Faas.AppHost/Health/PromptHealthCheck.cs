using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faas.AppHost.Health;

/// <summary>
/// A resource's health check that notices a starting resource become healthy at once. Aspire checks a resource that is
/// not healthy yet again after 1, 2, 3, 4 and then every 5 seconds, so a service healthy 3.5 s after it started was seen
/// at 6 s, one healthy at 6.5 s at 10 s; with four levels of <c>WaitFor</c> (the database, the sink manager, the
/// scheduler, the gateway) those gaps were a third of a warm start. Unless its last answer was healthy, this check asks
/// again every <see cref="DefaultInterval"/> for up to <see cref="DefaultPatience"/> before it answers unhealthy, so Aspire hears of
/// health within <see cref="DefaultInterval"/> of it. A resource that was healthy and stops being so is reported at once.
/// </summary>
internal sealed class PromptHealthCheck(IHealthCheck inner, TimeSpan? interval = null, TimeSpan? patience = null) : IHealthCheck
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(10);

    private volatile bool lastHealthy;

    /// <summary>How often a resource that is not healthy is asked again.</summary>
    public TimeSpan Interval { get; } = interval ?? DefaultInterval;

    /// <summary>How long a resource that is not healthy is asked again before the answer is given.</summary>
    public TimeSpan Patience { get; } = patience ?? DefaultPatience;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var patience = lastHealthy ? TimeSpan.Zero : Patience;
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var result = await inner.CheckHealthAsync(context, cancellationToken).ConfigureAwait(false);
            if (result.Status == HealthStatus.Healthy || waited.Elapsed + Interval > patience)
            {
                lastHealthy = result.Status == HealthStatus.Healthy;
                return result;
            }

            await Task.Delay(Interval, cancellationToken).ConfigureAwait(false);
        }
    }
}

public static class PromptHealthCheckExtensions
{
    /// <summary>
    /// <paramref name="check"/> (made for each check) as the resource's health check <paramref name="key"/>, asked again
    /// every 100 ms while the resource is not healthy (see <see cref="PromptHealthCheck"/>).
    /// </summary>
    public static IResourceBuilder<T> WithPromptHealthCheck<T>(this IResourceBuilder<T> resource, string key, Func<IHealthCheck> check)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(check);
        // One instance per registration: it remembers the resource's last answer.
        var prompt = new PromptHealthCheck(check());
        resource.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => prompt, failureStatus: null, tags: null));
        return resource.WithHealthCheck(key);
    }
}
