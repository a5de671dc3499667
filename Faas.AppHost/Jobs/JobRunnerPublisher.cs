using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Faas.AppHost.Jobs;

/// <summary>Publishes the job runner in the background once the AppHost has started.</summary>
internal sealed partial class JobRunnerPublisher(JobRunnerBuild build, ILogger<JobRunnerPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogPublishing(logger, build.OutputDirectory);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await JobRunnerPublish.EnsurePublishedAsync(build, stoppingToken).ConfigureAwait(false);
            LogPublished(logger, build.OutputDirectory, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (InvalidOperationException ex)
        {
            LogPublishFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Publishing the job runner of JOB mode into {Directory} (NativeAOT, first start only)")]
    private static partial void LogPublishing(ILogger logger, string directory);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Job runner published into {Directory} in {Seconds:0.0} s: JOB mode is ready")]
    private static partial void LogPublished(ILogger logger, string directory, double seconds);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "JOB mode is unavailable: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);
}
