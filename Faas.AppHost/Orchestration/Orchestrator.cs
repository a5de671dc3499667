using Faas.AppHost.Garnet;
using Faas.AppHost.Hosting;
using Faas.AppHost.Model;
using Faas.AppHost.Postgres;
using Faas.AppHost.Processes;
using Faas.AppHost.Resources;
using Microsoft.Extensions.Options;

namespace Faas.AppHost.Orchestration;

/// <summary>
/// Starts the app model's resources one after another, each awaited healthy before the next, watches
/// their health, and stops them in reverse order: services, then PostgreSQL, then Garnet.
/// </summary>
public sealed class Orchestrator
{
    private static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(5);

    private readonly FaasAppModel _model;
    private readonly ResourceRegistry _registry;
    private readonly HealthProbe _probe;
    private readonly AppHostOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<Orchestrator> _logger;
    private readonly List<IResourceRunner> _started = [];
    private readonly List<ResourceLog> _logs = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _healthMonitor = Task.CompletedTask;

    public Orchestrator(
        FaasAppModel model, ResourceRegistry registry, HealthProbe probe, IOptions<AppHostOptions> options, ILoggerFactory loggerFactory)
    {
        _model = model;
        _registry = registry;
        _probe = probe;
        _options = options.Value;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<Orchestrator>();

        foreach (var resource in model.Resources)
        {
            registry.Add(new ResourceSnapshot(
                resource.Name,
                resource.Kind,
                ResourceState.Waiting,
                HealthStatus.Unknown,
                Pid: null,
                Restarts: 0,
                ExitCode: null,
                StartedAt: null,
                [.. resource.Endpoints.Select(e => new ResourceEndpoint(e.Name, e.Address))],
                model.State.LogFile(resource.Name)));
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_model.State.Root);
        foreach (var resource in _model.Resources)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var runner = CreateRunner(resource);
            lock (_started)
            {
                _started.Add(runner);
            }

            Log.ResourceStarting(_logger, resource.Name, resource.Kind);
            try
            {
                await runner.StartAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _registry.Update(resource.Name, s => s with { State = ResourceState.FailedToStart, Health = HealthStatus.Unhealthy });
                if (e is ResourceStartException)
                {
                    throw;
                }

                throw new ResourceStartException(resource.Name, "failed to start: " + e.Message, _model.State.LogFile(resource.Name), []);
            }
        }

        _healthMonitor = Task.Run(() => MonitorHealthAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _healthMonitor;

        IResourceRunner[] started;
        lock (_started)
        {
            started = [.. _started];
            _started.Clear();
        }

        foreach (var runner in started.Reverse())
        {
            Log.ResourceStopping(_logger, runner.Definition.Name);
            try
            {
                await runner.StopAsync(cancellationToken);
            }
            catch (Exception e)
            {
                Log.ResourceStopFailed(_logger, runner.Definition.Name, e);
            }
        }

        foreach (var log in _logs)
        {
            await log.DisposeAsync();
        }

        _logs.Clear();
    }

    /// <summary>
    /// Stops a running resource and starts it again (in-process Garnet recovers from its append-only file).
    /// False when there is no started resource of that name.
    /// </summary>
    public async Task<bool> RestartAsync(string name, CancellationToken cancellationToken)
    {
        IResourceRunner? runner;
        lock (_started)
        {
            runner = _started.FirstOrDefault(r => r.Definition.Name == name);
        }

        if (runner is null)
        {
            return false;
        }

        Log.ResourceStopping(_logger, name);
        await runner.StopAsync(cancellationToken);

        // A runner is good for one start: the new one gets a fresh log file too (the old one is rotated).
        var fresh = CreateRunner(runner.Definition);
        lock (_started)
        {
            _started[_started.IndexOf(runner)] = fresh;
        }

        Log.ResourceStarting(_logger, name, fresh.Definition.Kind);
        await fresh.StartAsync(cancellationToken);
        _registry.Update(name, s => s with { Restarts = s.Restarts + 1 });
        return true;
    }

    private IResourceRunner CreateRunner(ResourceDefinition resource)
    {
        var path = _model.State.LogFile(resource.Name);
        Directory.CreateDirectory(_model.State.Logs);
        ResourceLog.Rotate(path);
        var log = new ResourceLog(path);
        _logs.Add(log);

        var logger = _loggerFactory.CreateLogger("Faas.AppHost." + resource.Name);
        return resource switch
        {
            GarnetResourceDefinition garnet => new GarnetRunner(garnet, _registry, log, logger),
            PostgresResourceDefinition postgres => new PostgresRunner(postgres, _registry, log, _options, logger),
            ProjectResourceDefinition project => new ProjectRunner(project, _registry, log, _probe, _options, logger),
            _ => throw new NotSupportedException($"No runner for {resource.GetType().Name}."),
        };
    }

    private async Task MonitorHealthAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(HealthCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                IResourceRunner[] runners;
                lock (_started)
                {
                    runners = [.. _started];
                }

                foreach (var runner in runners)
                {
                    var name = runner.Definition.Name;
                    if (_registry.Get(name).State != ResourceState.Running)
                    {
                        continue; // starting, exited or stopping: its runner is in charge
                    }

                    var health = await runner.CheckHealthAsync(stopping);
                    var before = _registry.Get(name).Health;
                    _registry.Update(name, s => s.State == ResourceState.Running ? s with { Health = health } : s);
                    if (before != health)
                    {
                        Log.HealthChanged(_logger, health == HealthStatus.Healthy ? LogLevel.Information : LogLevel.Warning, name, health);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}
