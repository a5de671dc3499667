using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faas.JobSink.Jobs;

/// <summary>
/// The launcher's availability on <c>/health</c> (entry <c>jobs</c>): Degraded, not Unhealthy, when JOB mode
/// cannot run, since WARM functions are unaffected; the description says what is missing.
/// </summary>
public sealed class JobLauncherHealthCheck(IJobLauncher launcher) : IHealthCheck
{
    public const string Name = "jobs";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = await launcher.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        return status.Available
            ? HealthCheckResult.Healthy($"JOB mode: {status.Description}")
            : HealthCheckResult.Degraded($"JOB mode unavailable: {status.Description}");
    }
}
