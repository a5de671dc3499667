using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faas.Sinks.Client;

/// <summary>
/// Unhealthy until the sink first registered; Healthy while its heartbeats succeed; Degraded while they fail,
/// and for good once an administrator deleted the sink.
/// </summary>
public sealed class SinkRegistrationHealthCheck(SinkAgent agent) : IHealthCheck
{
    public const string Name = "sink";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = agent.Status;
        var data = new Dictionary<string, object>
        {
            ["sinkId"] = status.SinkId ?? "",
            ["state"] = status.State.ToString(),
            ["runningTasks"] = status.RunningTasks,
        };
        if (status.LastHeartbeatAt is { } at)
        {
            data["lastHeartbeatAt"] = at.ToString("O");
        }

        var result = status switch
        {
            { Deleted: true } => HealthCheckResult.Degraded(
                "The sink was deleted by an administrator and takes no work; restart it to register again.", data: data),
            { EverRegistered: false } => HealthCheckResult.Unhealthy(
                $"Not registered with the sink manager yet{Reason(status)}", data: data),
            { Registered: false } or { LastHeartbeatSucceeded: false } when status.LastError is not null => HealthCheckResult.Degraded(
                $"Heartbeats to the sink manager fail{Reason(status)}", data: data),
            { Draining: true } => HealthCheckResult.Healthy($"Sink {status.SinkId} is draining.", data),
            _ => HealthCheckResult.Healthy($"Sink {status.SinkId} is registered ({status.State}).", data),
        };
        return Task.FromResult(result);
    }

    private static string Reason(SinkAgentStatus status) => status.LastError is { } error ? $": {error}" : ".";
}
