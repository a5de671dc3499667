namespace Faas.AppHost.Resources;

/// <summary>What is known about one resource at one moment.</summary>
/// <param name="Pid">The process serving the resource (the AppHost itself for in-process Garnet; the postmaster for PostgreSQL).</param>
/// <param name="Restarts">How often it was restarted after exiting unexpectedly.</param>
public sealed record ResourceSnapshot(
    string Name,
    string Kind,
    ResourceState State,
    HealthStatus Health,
    int? Pid,
    int Restarts,
    int? ExitCode,
    DateTimeOffset? StartedAt,
    IReadOnlyList<ResourceEndpoint> Endpoints,
    string LogPath)
{
    public bool IsHealthy => State == ResourceState.Running && Health == HealthStatus.Healthy;
}
