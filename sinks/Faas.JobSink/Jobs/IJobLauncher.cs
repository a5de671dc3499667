namespace Faas.JobSink.Jobs;

/// <summary>
/// Runs each JOB-mode invocation in a fresh, isolated environment that is gone afterwards. Implementations:
/// <see cref="Oci.OciJobLauncher"/> (runc), <see cref="Kubernetes.KubernetesJobLauncher"/> (a batch/v1 Job),
/// and, only when an operator configures it, <see cref="Processes.ProcessJobLauncher"/> (no isolation).
/// </summary>
public interface IJobLauncher
{
    /// <summary>Whether the launcher can run jobs now, and if not, why (shown on health and the dashboard).</summary>
    Task<JobLauncherStatus> GetStatusAsync(CancellationToken cancellationToken);

    /// <summary>Runs the invocation; <paramref name="onStarted"/> learns the container's name before it starts.</summary>
    /// <exception cref="JobLauncherUnavailableException">The launcher cannot run jobs (see <see cref="GetStatusAsync"/>).</exception>
    /// <exception cref="JobFailedException">The container could not be run or gave no result.</exception>
    Task<JobRun> RunAsync(JobInvocation invocation, Action<string>? onStarted, CancellationToken cancellationToken);
}

/// <summary>A launcher's availability: <paramref name="Description"/> says which launcher, and what is missing when unavailable.</summary>
public sealed record JobLauncherStatus(bool Available, string Description);
