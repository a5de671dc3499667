using Faas.AppHost.Model;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Orchestration;

/// <summary>Starts, watches and stops one resource of the app model.</summary>
internal interface IResourceRunner
{
    ResourceDefinition Definition { get; }

    /// <summary>Starts the resource and completes once it is healthy; throws <see cref="ResourceStartException"/> otherwise.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>A periodic health check of a running resource.</summary>
    Task<HealthStatus> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>Stops the resource (also one that is half started); never throws for a resource already gone.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
