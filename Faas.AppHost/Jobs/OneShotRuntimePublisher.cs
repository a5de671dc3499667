using System.Diagnostics;
using Faas.AppHost.Hosting;
using Faas.AppHost.Model;
using Microsoft.Extensions.Options;

namespace Faas.AppHost.Jobs;

/// <summary>
/// Publishes the one-shot runtime in the background when the AppHost starts and it is not there yet (the first
/// time, about a minute): the mesh comes up meanwhile, and JOB-mode invocations report the runtime missing until
/// it is done; the scheduler sees the files appear.
/// </summary>
internal sealed partial class OneShotRuntimePublisher(
    FaasAppModel model, IOptions<AppHostOptions> options, OneShotRuntimeState state, ILogger<OneShotRuntimePublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (model.OneShotRuntime is not { } build)
        {
            state.Set("not part of this AppHost");
            return;
        }

        if (build.IsPublished)
        {
            state.Set($"published in {build.OutputDirectory}");
            return;
        }

        if (!options.Value.PublishJobRuntime)
        {
            state.Set($"not published in {build.OutputDirectory}, and publishing is off (AppHost:PublishJobRuntime)");
            return;
        }

        state.Set("publishing with NativeAOT (first start only)");
        LogPublishing(logger, build.OutputDirectory);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await OneShotPublisher.EnsurePublishedAsync(build, stoppingToken).ConfigureAwait(false);
            state.Set($"published in {build.OutputDirectory}");
            LogPublished(logger, build.OutputDirectory, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (InvalidOperationException ex)
        {
            state.Set("publish failed: " + ex.Message);
            LogPublishFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Publishing the one-shot runtime of JOB mode into {Directory} (NativeAOT, first start only)")]
    private static partial void LogPublishing(ILogger logger, string directory);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "One-shot runtime published into {Directory} in {Seconds:0.0} s: JOB mode is ready")]
    private static partial void LogPublished(ILogger logger, string directory, double seconds);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "JOB mode is unavailable: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);
}
