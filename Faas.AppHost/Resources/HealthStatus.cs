namespace Faas.AppHost.Resources;

public enum HealthStatus
{
    Unknown,
    Healthy,
    Unhealthy,
}
