using Faas.AppHost.Model;
using Faas.AppHost.Networking;
using Faas.AppHost.Orchestration;
using Faas.AppHost.Resources;
using Garnet;

namespace Faas.AppHost.Garnet;

/// <summary>Hosts Microsoft Garnet (a Redis-protocol server) inside the AppHost process.</summary>
internal sealed class GarnetRunner(GarnetResourceDefinition definition, ResourceRegistry registry, ResourceLog log, ILogger logger)
    : IResourceRunner
{
    private GarnetServer? _server;
    private ILoggerFactory? _garnetLogging;

    public ResourceDefinition Definition => definition;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        registry.Update(definition.Name, s => s with { State = ResourceState.Starting, Pid = Environment.ProcessId, StartedAt = DateTimeOffset.Now });
        if (definition.DataDirectory is { } data)
        {
            Directory.CreateDirectory(data);
        }

        var arguments = GarnetArguments.For(definition);
        log.WriteAppHostLine("starting Garnet in-process: " + string.Join(' ', arguments));
        _garnetLogging = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(new ResourceLogLoggerProvider(log, LogLevel.Information)));
        try
        {
            _server = await Task.Run(
                () =>
                {
                    var server = new GarnetServer(arguments, _garnetLogging);
                    server.Start();
                    return server;
                },
                cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.WriteAppHostLine(e.ToString());
            await log.FlushAsync();
            throw new ResourceStartException(definition.Name, $"failed to start Garnet on port {definition.Port}: {e.Message}", log.Path, log.ReadTail(20));
        }

        if (!await PortProbe.AcceptsConnectionsAsync(definition.Port, cancellationToken))
        {
            throw new ResourceStartException(definition.Name, $"does not accept connections on port {definition.Port}", log.Path, log.ReadTail(20));
        }

        Log.GarnetStarted(logger, definition.Name, definition.ConnectionString, definition.DataDirectory ?? "(none)");
        registry.Update(definition.Name, s => s with { State = ResourceState.Running, Health = HealthStatus.Healthy });
    }

    public async Task<HealthStatus> CheckHealthAsync(CancellationToken cancellationToken) =>
        await PortProbe.AcceptsConnectionsAsync(definition.Port, cancellationToken) ? HealthStatus.Healthy : HealthStatus.Unhealthy;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        registry.Update(definition.Name, s => s with { State = ResourceState.Stopping });
        _server?.Dispose();
        _server = null;
        _garnetLogging?.Dispose();
        _garnetLogging = null;
        log.WriteAppHostLine("stopped");
        registry.Update(definition.Name, s => s with { State = ResourceState.Stopped, Health = HealthStatus.Unknown });
        return Task.CompletedTask;
    }
}
