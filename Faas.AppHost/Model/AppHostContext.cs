namespace Faas.AppHost.Model;

/// <summary>Facts about the running AppHost that the app model passes on to services.</summary>
/// <param name="ProcessId">The AppHost's pid (<c>FAAS_PARENT_PID</c>: services stop when it is gone).</param>
/// <param name="EnvironmentName">The AppHost's environment, given to services as theirs.</param>
/// <param name="OtlpEndpoint">The AppHost's <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, if any.</param>
/// <param name="WorkingDirectory">Relative state directories are resolved against it.</param>
public sealed record AppHostContext(int ProcessId, string EnvironmentName, string? OtlpEndpoint, string WorkingDirectory);
