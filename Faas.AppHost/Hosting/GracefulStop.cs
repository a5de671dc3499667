using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace Faas.AppHost.Hosting;

/// <summary>
/// Ctrl+C or SIGTERM: the services get SIGTERM first, the gateways before the others, and together up to
/// <see cref="AppHostOptions.ShutdownGraceSeconds"/> to finish what they run (a stopping service takes no new calls
/// and answers the ones it took), then the servers stop (PostgreSQL with a fast shutdown), before Aspire tears down
/// whatever is left. Registered after Aspire's own services, so it stops before them.
/// </summary>
internal sealed partial class GracefulStop(
    AppHostSettings settings, ResourceNotificationService notifications, IEnumerable<IServerShutdown> servers, ILogger<GracefulStop> logger) : IHostedService
{
    private const int SigTerm = 15;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var grace = TimeSpan.FromSeconds(settings.Options.ShutdownGraceSeconds);

        // The gateways first, every replica: the front door closes, and the calls it took still find the scheduler and
        // the workers taking calls. Then the rest, in what is left of the same grace period.
        var gateways = Pids(Enumerable.Range(0, settings.Options.Gateways).Select(ResourceNames.GatewayReplica)).ToList();
        await TerminateAsync(gateways, started, grace).ConfigureAwait(false);
        var others = Pids(new[] { ResourceNames.Compiler, ResourceNames.Scheduler, ResourceNames.Jobs, ResourceNames.SinkManager }
            .Concat(Enumerable.Range(0, settings.Options.Workers).Select(ResourceNames.Worker))).ToList();
        await TerminateAsync(others, started, grace).ConfigureAwait(false);

        var services = gateways.Concat(others).ToList();
        LogServicesStopped(logger, services.Count(pid => !IsAlive(pid)), services.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        foreach (var server in servers)
        {
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>SIGTERM to each process, then waits for them to exit until <paramref name="grace"/> after <paramref name="started"/>.</summary>
    private static async Task TerminateAsync(List<int> pids, long started, TimeSpan grace)
    {
        foreach (var pid in pids)
        {
            _ = Kill(pid, SigTerm);
        }

        while (pids.Any(IsAlive) && Stopwatch.GetElapsedTime(started) < grace)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The running processes of the named services (not the servers, which stop on their own terms).</summary>
    private IEnumerable<int> Pids(IEnumerable<string> names)
    {
        foreach (var name in names)
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
