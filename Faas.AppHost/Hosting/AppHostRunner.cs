using System.Diagnostics;
using Faas.AppHost.Model;
using Faas.AppHost.Orchestration;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Faas.AppHost.Hosting;

/// <summary>
/// Brings the app model up once the dashboard listens, prints the ready line, and takes everything
/// down when the host stops (Ctrl+C, SIGTERM, or a resource that never became healthy).
/// </summary>
public sealed class AppHostRunner(
    Orchestrator orchestrator,
    FaasAppModel model,
    IServer server,
    IHostApplicationLifetime lifetime,
    Dashboard.DashboardAccess access,
    ILogger<AppHostRunner> logger) : BackgroundService
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Uri> _dashboard = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when every resource is healthy; faults with the reason when one is not.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Where the dashboard listens, once it does.</summary>
    public Task<Uri> Dashboard => _dashboard.Task;

    /// <summary>The process exit code: non-zero when the start failed.</summary>
    public int ExitCode { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WhenHostStartedAsync(stoppingToken);
            var dashboard = new Uri(server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("The dashboard does not listen anywhere."));
            _dashboard.TrySetResult(dashboard);

            if (model.Projects.Any())
            {
                StateKeys.Ensure(model.State);
            }

            await orchestrator.StartAsync(stoppingToken);
            Log.Ready(logger, ReadyBanner.Format(model, access.LoginUri(dashboard)));
            if (model.Projects.Any())
            {
                if (File.Exists(model.State.AdminKeyFile))
                {
                    var relative = Path.GetRelativePath(Environment.CurrentDirectory, model.State.AdminKeyFile);
                    Log.AdminKey(
                        logger, relative.StartsWith("..", StringComparison.Ordinal) ? model.State.AdminKeyFile : relative,
                        model.GetEndpoint(ResourceNames.Gateway, EndpointDefinition.Http).ToString());
                }
                else
                {
                    Log.NoAdminKey(logger, model.State.AdminKeyFile);
                }

                Log.SinkManager(logger, model.GetResource(ResourceNames.SinkManager).GetEndpoint(EndpointDefinition.Grpc).Address);
            }
            _ready.TrySetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _dashboard.TrySetCanceled(stoppingToken);
            _ready.TrySetCanceled(stoppingToken);
        }
        catch (Exception e)
        {
            ExitCode = 1;
            Log.StartFailed(logger, e is ResourceStartException or AppHostConfigurationException ? e.Message : e.ToString());
            _dashboard.TrySetException(e);
            _ready.TrySetException(e);
            lifetime.StopApplication();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await orchestrator.StopAsync(cancellationToken);
        Log.Stopped(logger, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private async Task WhenHostStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }
}
