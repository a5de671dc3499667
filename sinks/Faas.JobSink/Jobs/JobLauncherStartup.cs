using Faas.JobSink.Jobs.Oci;

namespace Faas.JobSink.Jobs;

/// <summary>At start, says whether JOB mode can run (and why not), and removes containers and bundles a previous run left.</summary>
public sealed partial class JobLauncherStartup(IJobLauncher launcher, ILogger<JobLauncherStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var status = await launcher.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (status.Available)
        {
            LogAvailable(logger, status.Description);
        }
        else
        {
            LogUnavailable(logger, status.Description);
        }

        if (launcher is OciJobLauncher oci)
        {
            await oci.SweepLeftoversAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "JOB mode runs in {Launcher}")]
    private static partial void LogAvailable(ILogger logger, string launcher);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "JOB mode is unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
