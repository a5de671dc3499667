using System.Diagnostics;
using Faas.AppHost.Hosting;
using Faas.AppHost.Model;
using Faas.AppHost.Orchestration;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Processes;

/// <summary>
/// Runs a service project as its own process (<c>dotnet &lt;dll&gt;</c>) in its own session, waits for its
/// <c>/health</c>, restarts it with exponential backoff when it exits unexpectedly, and stops it with
/// SIGTERM, then a kill after the grace period.
/// </summary>
internal sealed class ProjectRunner(
    ProjectResourceDefinition definition,
    ResourceRegistry registry,
    ResourceLog log,
    HealthProbe probe,
    AppHostOptions options,
    ILogger logger) : IResourceRunner
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Process? _process;
    private Task _supervisor = Task.CompletedTask;

    public ResourceDefinition Definition => definition;

    private string Name => definition.Name;

    private Uri HealthUrl => definition.HealthEndpoint.Url;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var process = Launch();
        var startedAt = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.HealthTimeout);
        try
        {
            if (!await WaitUntilHealthyAsync(process, deadline.Token))
            {
                await DrainOutputAsync(process);
                await log.FlushAsync();
                throw Failure($"exited with code {ExitCodeOf(process)} before it became healthy");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await log.FlushAsync();
            throw Failure($"did not become healthy at {new Uri(HealthUrl, "/health")} within {options.HealthTimeoutSeconds} s (--health-timeout)");
        }

        Log.ResourceHealthy(logger, Name, process.Id, Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
        _supervisor = Task.Run(() => SuperviseAsync(process, _stopping.Token), CancellationToken.None);
    }

    public async Task<HealthStatus> CheckHealthAsync(CancellationToken cancellationToken) =>
        await probe.IsHealthyAsync(HealthUrl, cancellationToken) ? HealthStatus.Healthy : HealthStatus.Unhealthy;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _supervisor;
        }
        catch (OperationCanceledException)
        {
        }

        Process? process;
        lock (_gate)
        {
            process = _process;
            _process = null;
        }

        if (process is null)
        {
            registry.Update(Name, s => s with { State = ResourceState.Stopped, Health = HealthStatus.Unknown });
            return;
        }

        using (process)
        {
            registry.Update(Name, s => s with { State = ResourceState.Stopping });
            if (!process.HasExited)
            {
                ProcessSignals.Terminate(process.Id);
                using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                grace.CancelAfter(options.ShutdownGracePeriod);
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    Log.ResourceKilled(logger, Name, process.Id, options.ShutdownGraceSeconds);
                    log.WriteAppHostLine($"did not stop within {options.ShutdownGraceSeconds} s of SIGTERM; killing pid {process.Id}");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
                }
            }

            var exitCode = ExitCodeOf(process);
            log.WriteAppHostLine($"stopped (exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})");
            registry.Update(Name, s => s with { State = ResourceState.Stopped, Health = HealthStatus.Unknown, ExitCode = exitCode });
        }
    }

    private Process Launch()
    {
        var assembly = definition.Project.AssemblyPath;
        if (!File.Exists(assembly))
        {
            throw Failure($"cannot start: {assembly} does not exist (build Faas.AppHost, which builds every service)");
        }

        var process = ServiceProcess.Start(definition, log);
        lock (_gate)
        {
            _process = process;
        }

        log.WriteAppHostLine($"started pid {process.Id}: dotnet {assembly}");
        registry.Update(Name, s => s with
        {
            State = ResourceState.Starting,
            Health = HealthStatus.Unknown,
            Pid = process.Id,
            ExitCode = null,
            StartedAt = DateTimeOffset.Now,
        });
        return process;
    }

    /// <summary>True once healthy; false when the process exited first.</summary>
    private async Task<bool> WaitUntilHealthyAsync(Process process, CancellationToken cancellationToken)
    {
        var exited = process.WaitForExitAsync(cancellationToken);
        while (!process.HasExited)
        {
            if (await probe.IsHealthyAsync(HealthUrl, cancellationToken))
            {
                registry.Update(Name, s => s.Pid == process.Id ? s with { State = ResourceState.Running, Health = HealthStatus.Healthy } : s);
                return true;
            }

            await Task.WhenAny(exited, Task.Delay(PollInterval, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }

        return false;
    }

    private async Task SuperviseAsync(Process process, CancellationToken stopping)
    {
        var backoff = InitialBackoff;
        try
        {
            while (true)
            {
                await process.WaitForExitAsync(stopping);
                var exitCode = ExitCodeOf(process);
                var ranFor = DateTimeOffset.Now - (registry.Get(Name).StartedAt ?? DateTimeOffset.Now);
                if (ranFor > StableAfter)
                {
                    backoff = InitialBackoff;
                }

                Log.ResourceExited(logger, Name, process.Id, exitCode, backoff.TotalSeconds);
                log.WriteAppHostLine($"pid {process.Id} exited unexpectedly with code {exitCode}; restarting in {backoff.TotalSeconds:0.#} s");
                registry.Update(Name, s => s with { State = ResourceState.Exited, Health = HealthStatus.Unknown, ExitCode = exitCode });
                lock (_gate)
                {
                    if (_process == process)
                    {
                        _process = null; // StopAsync during the backoff has nothing left to stop
                    }
                }

                process.Dispose();

                process = await RelaunchAsync(backoff, stopping);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                if (await WaitUntilHealthyAsync(process, stopping))
                {
                    Log.ResourceRecovered(logger, Name, process.Id, registry.Get(Name).Restarts);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: StopAsync takes over the current process.
        }
    }

    private async Task<Process> RelaunchAsync(TimeSpan backoff, CancellationToken stopping)
    {
        while (true)
        {
            await Task.Delay(backoff, stopping);
            try
            {
                registry.Update(Name, s => s with { Restarts = s.Restarts + 1 });
                return Launch();
            }
            catch (Exception e) when (e is ResourceStartException or System.ComponentModel.Win32Exception)
            {
                Log.RestartFailed(logger, Name, e.Message);
                log.WriteAppHostLine("restart failed: " + e.Message);
            }
        }
    }

    /// <summary>Waits briefly for the last output of an exited process to reach the log.</summary>
    private static async Task DrainOutputAsync(Process process)
    {
        try
        {
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
        }
    }

    private static int? ExitCodeOf(Process process)
    {
        try
        {
            return process.HasExited ? process.ExitCode : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private ResourceStartException Failure(string problem) => new(Name, problem, log.Path, log.ReadTail(30));
}
