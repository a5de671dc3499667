using System.Collections.Concurrent;

using Microsoft.Extensions.Hosting;

namespace Faas.AppHost.Healing;

/// <summary>
/// Starts again every process resource that dies (a crash, a kill -9, an out-of-memory kill): Aspire reports it and
/// leaves it down. A resource stopped on purpose exits with code 0 (the dashboard's Stop, a graceful shutdown) and
/// stays stopped. Backoff doubles from one second up to <see cref="MaxBackoff"/>, and starts over once the resource
/// has run for <see cref="StableAfter"/>. A start that fails (the resource never ran: a dependency it waits for is
/// itself down) is not a crash loop and is tried again every <see cref="FailedStartRetry"/>, so the resource comes back
/// as soon as its dependency does. Each resource's restarts are shown as its <c>faas.restarts</c> property.
/// </summary>
internal sealed partial class ResourceHealer(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<ResourceHealer> logger) : BackgroundService
{
    public const string RestartsProperty = "faas.restarts";

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FailedStartRetry = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Track> tracks = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken).ConfigureAwait(false))
            {
                if (update.Resource is not ExecutableResource
                    || update.Resource.HasAnnotationOfType<ExplicitStartupAnnotation>()
                    || lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    continue;
                }

                var track = tracks.GetOrAdd(update.Resource.Name, _ => new Track());
                var state = update.Snapshot.State?.Text;
                if (state == KnownResourceStates.Running && track.RunningSince is null)
                {
                    track.RunningSince = DateTimeOffset.UtcNow;
                    track.Restarting = false;
                }
                else if (IsDead(state) && update.Snapshot.ExitCode is not 0 && !track.Restarting && track.RunningSince is not null)
                {
                    track.Restarting = true;
                    var backoff = track.NextBackoff();
                    track.RunningSince = null;
                    LogDied(logger, update.Resource.Name, update.Snapshot.ExitCode, backoff.TotalSeconds);
                    _ = RestartAsync(update.Resource, track, backoff, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RestartAsync(IResource resource, Track track, TimeSpan backoff, CancellationToken stoppingToken)
    {
        try
        {
            // A start can fail without the resource ever running again (a dependency it waits for is itself being
            // restarted, so it ends FailedToStart): then no further state change would bring it back, so try again
            // until it starts or the AppHost stops. The process did not run, so this is no crash loop and the backoff
            // does not grow: a growing one would leave the resource down long after its dependency is back.
            while (true)
            {
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(false);
                var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, stoppingToken).ConfigureAwait(false);
                if (result.Success)
                {
                    break;
                }

                LogRestartFailed(logger, resource.Name, result.Message ?? "no reason given");
                backoff = FailedStartRetry;
            }

            var restarts = Interlocked.Increment(ref track.Restarts);

            await notifications.PublishUpdateAsync(resource, snapshot => snapshot with
            {
                Properties = [.. snapshot.Properties.Where(p => p.Name != RestartsProperty), new ResourcePropertySnapshot(RestartsProperty, restarts)],
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            LogRestartFailed(logger, resource.Name, e.Message);
            track.Restarting = false;
        }
    }

    private static bool IsDead(string? state) =>
        state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;

    private sealed class Track
    {
        public int Restarts;
        private TimeSpan backoff = FirstBackoff;

        public DateTimeOffset? RunningSince { get; set; }

        public bool Restarting { get; set; }

        public TimeSpan NextBackoff()
        {
            if (RunningSince is { } since && DateTimeOffset.UtcNow - since >= StableAfter)
            {
                backoff = FirstBackoff;
            }

            var next = backoff;
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            return next;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Resource} exited unexpectedly (code {ExitCode}); starting it again in {BackoffSeconds:0.#} s")]
    private static partial void LogDied(ILogger logger, string resource, int? exitCode, double backoffSeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Starting {Resource} again failed: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string resource, string reason);
}

public static class ResourceHealingExtensions
{
    public static IServiceCollection AddResourceHealing(this IServiceCollection services) => services.AddHostedService<ResourceHealer>();
}
