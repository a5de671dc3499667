using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Faas.AppHost.Hosting;

/// <summary>
/// Ctrl+C or SIGTERM: the services get SIGTERM first and up to <see cref="AppHostOptions.ShutdownGraceSeconds"/> to
/// finish what they run (a stopping service takes no new calls and answers the ones it took), then the servers stop
/// (PostgreSQL with a fast shutdown), before Aspire tears down whatever is left. Registered after Aspire's own
/// services, so it stops before them.
/// </summary>
internal sealed partial class GracefulStop(
    AppHostSettings settings, ResourceNotificationService notifications, IEnumerable<IServerShutdown> servers, ILogger<GracefulStop> logger) : IHostedService
{
    private const int SigTerm = 15;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var services = ServicePids().ToList();
        foreach (var pid in services)
        {
            _ = Kill(pid, SigTerm);
        }

        var started = Stopwatch.GetTimestamp();
        var grace = TimeSpan.FromSeconds(settings.Options.ShutdownGraceSeconds);
        while (services.Any(IsAlive) && Stopwatch.GetElapsedTime(started) < grace)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
        }

        LogServicesStopped(logger, services.Count(pid => !IsAlive(pid)), services.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        foreach (var server in servers)
        {
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The running service processes (not the servers, which stop on their own terms).</summary>
    private IEnumerable<int> ServicePids()
    {
        foreach (var name in new[] { ResourceNames.Gateway, ResourceNames.Compiler, ResourceNames.Scheduler, ResourceNames.Jobs, ResourceNames.SinkManager }
            .Concat(Enumerable.Range(0, settings.Options.Workers).Select(ResourceNames.Worker)))
        {
            if (notifications.TryGetCurrentState(name, out var current)
                && current.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
                && int.TryParse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), out var pid))
            {
                yield return pid;
            }
        }
    }

    private static bool IsAlive(int pid) => Kill(pid, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LoggerMessage(EventId = 50, Level = LogLevel.Information, Message = "{Stopped} of {Total} services stopped on their own in {Seconds:0.0} s")]
    private static partial void LogServicesStopped(ILogger logger, int stopped, int total, double seconds);
}

/// <summary>A server the AppHost stops itself at the end (after the services).</summary>
internal interface IServerShutdown
{
    Task StopAsync(CancellationToken cancellationToken);
}
