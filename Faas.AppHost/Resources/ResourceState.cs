namespace Faas.AppHost.Resources;

/// <summary>Lifecycle of a resource as the dashboard shows it.</summary>
public enum ResourceState
{
    /// <summary>Waiting for the resources before it.</summary>
    Waiting,
    Starting,
    Running,

    /// <summary>Exited unexpectedly; a restart follows after a backoff.</summary>
    Exited,
    Stopping,
    Stopped,

    /// <summary>Never became healthy; the AppHost gave up.</summary>
    FailedToStart,
}
