using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Faas.AppHost.Hosting;

/// <summary>
/// Prints <c>Faas is ready: …</c> once every resource is healthy, with the gateways' addresses and the dashboard's
/// login link, then where the administrator's key is and where external sinks connect; or, after
/// <see cref="AppHostOptions.HealthTimeoutSeconds"/>, which resources are not healthy yet.
/// </summary>
internal sealed partial class ReadyLine(
    AppHostSettings settings, DistributedApplicationModel model, ResourceNotificationService notifications, IConfiguration configuration,
    ILogger<ReadyLine> logger) : BackgroundService
{
    /// <summary>The name Aspire gives its dashboard resource (present only when the dashboard runs).</summary>
    private const string DashboardResourceName = "aspire-dashboard";

    private readonly TaskCompletionSource<string> line = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The ready line, once printed.</summary>
    public Task<string> Line => line.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What the app model starts itself (not what waits for a command, such as Aspire's project rebuilders).
        var resources = model.Resources
            .Where(r => r is ExecutableResource && r.Name != DashboardResourceName && !r.HasAnnotationOfType<ExplicitStartupAnnotation>())
            .ToList();
        var healthy = Task.WhenAll(resources.Select(r => notifications.WaitForResourceHealthyAsync(r.Name, stoppingToken)));
        try
        {
            var patience = TimeSpan.FromSeconds(settings.Options.HealthTimeoutSeconds);
            while (await Task.WhenAny(healthy, Task.Delay(patience, stoppingToken)).ConfigureAwait(false) != healthy)
            {
                // Slow (a first build, a busy machine) or stuck: say which, and keep waiting.
                var waiting = resources.Where(r => !notifications.TryGetCurrentState(r.Name, out var e) || e.Snapshot.HealthStatus != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
                    .Select(r => notifications.TryGetCurrentState(r.Name, out var e) ? $"{r.Name} ({e.Snapshot.State?.Text}, {e.Snapshot.HealthStatus?.ToString() ?? "no health yet"})" : r.Name);
                LogNotReady(logger, settings.Options.HealthTimeoutSeconds, string.Join(", ", waiting));
            }

            await healthy.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var ready = Format(model, DashboardLogin());
        LogReady(logger, ready);
        line.TrySetResult(ready);
        if (model.Resources.OfType<ExecutableResource>().Any(r => r.Name == ResourceNames.Gateway))
        {
            var gateway = Endpoint(ResourceNames.Gateway, "http");
            if (File.Exists(settings.State.AdminKeyFile))
            {
                var relative = Path.GetRelativePath(Environment.CurrentDirectory, settings.State.AdminKeyFile);
                LogAdminKey(logger, relative.StartsWith("..", StringComparison.Ordinal) ? settings.State.AdminKeyFile : relative, gateway + "/");
            }
            else
            {
                LogNoAdminKey(logger, settings.State.AdminKeyFile);
            }

            LogSinkManager(logger, Endpoint(ResourceNames.SinkManager, "grpc"));
        }
    }

    /// <summary>The ready line; <paramref name="dashboardLogin"/> is the dashboard's login link, or null when it is off.</summary>
    public static string Format(DistributedApplicationModel model, string? dashboardLogin)
    {
        ArgumentNullException.ThrowIfNull(model);
        var dashboard = dashboardLogin is null ? "dashboard off" : $"dashboard {dashboardLogin}";
        if (model.Resources.OfType<ExecutableResource>().FirstOrDefault(r => r.Name == ResourceNames.Gateway) is not { } gateway)
        {
            var servers = model.Resources.OfType<IResourceWithEndpoints>().Select(r => $"{r.Name} {r.GetEndpoints().First().Url} · ");
            return $"Faas infrastructure is ready: {string.Concat(servers)}{dashboard}";
        }

        // Further gateway replicas, on ports of their own, after the first.
        var replicas = model.Resources.OfType<ExecutableResource>()
            .Where(r => r.Name != ResourceNames.Gateway && ResourceNames.IsGateway(r.Name))
            .Select(r => $"{r.Name} REST {r.GetEndpoint("http").Url} · gRPC {r.GetEndpoint("grpc").Url} · ");
        return $"Faas is ready: REST {gateway.GetEndpoint("http").Url} · gRPC {gateway.GetEndpoint("grpc").Url} (HTTP/2 cleartext) · {string.Concat(replicas)}{dashboard}";
    }

    private string? DashboardLogin()
    {
        if (!model.Resources.Any(r => r.Name == DashboardResourceName))
        {
            return null;
        }

        var url = (configuration["ASPNETCORE_URLS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.TrimEnd('/');
        return configuration["AppHost:BrowserToken"] is { Length: > 0 } token ? $"{url}/login?t={token}" : url;
    }

    private string Endpoint(string resource, string endpoint) =>
        model.Resources.OfType<ExecutableResource>().First(r => r.Name == resource).GetEndpoint(endpoint).Url;

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{ReadyLine}")]
    private static partial void LogReady(ILogger logger, string readyLine);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Faas is not ready after another {Seconds} s (--health-timeout): waiting for {Resources}")]
    private static partial void LogNotReady(ILogger logger, int seconds, string resources);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information,
        Message = "The administrator's API key is in {KeyFile}: curl -H \"authorization: Bearer $(cat {KeyFile})\" {Gateway}v1/functions")]
    private static partial void LogAdminKey(ILogger logger, string keyFile, string gateway);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information,
        Message = "No administrator key was written to {KeyFile}: the database already had an administrator. Log in (POST /v1/auth:login) or use a key you kept.")]
    private static partial void LogNoAdminKey(ILogger logger, string keyFile);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information,
        Message = "External sinks connect to the sink manager at {SinkManager} (gRPC, HTTP/2 cleartext) with a credential from POST /v1/sinkCredentials")]
    private static partial void LogSinkManager(ILogger logger, string sinkManager);
}

public static class ReadyLineExtensions
{
    public static IServiceCollection AddReadyLine(this IServiceCollection services, AppHostSettings settings) =>
        services.AddSingleton(settings).AddSingleton<ReadyLine>().AddHostedService(sp => sp.GetRequiredService<ReadyLine>()).AddHostedService<GracefulStop>();
}
