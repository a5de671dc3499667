using Faas.AppHost.Model;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Dashboard;

/// <summary>
/// The dashboard: <c>/</c> lists every resource, <c>/resources/{name}</c> shows one with the tail of its
/// log, <c>/api/resources</c> and <c>/api/resources/{name}</c> give the same as JSON; <c>/api/toolchains</c>
/// the languages the compiler can build, <c>/api/jobs</c> whether JOB mode can run, <c>/api/sinks</c> the sinks with their state, capacity and load.
/// </summary>
public static class DashboardEndpoints
{
    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.MapGet("/", async (ResourceRegistry registry, ToolchainStatus toolchains, JobModeStatus jobs, SinkStatus sinks, FaasAppModel model, CancellationToken cancellationToken) =>
            Results.Content(
                ResourcesPage.Render(
                    registry.GetAll(), await toolchains.GetAsync(cancellationToken), HasCompiler(model), await jobs.GetAsync(cancellationToken),
                    sinks.Applies ? await sinks.GetAsync(cancellationToken) : null),
                "text/html; charset=utf-8"));

        app.MapGet("/api/sinks", async (SinkStatus sinks, CancellationToken cancellationToken) =>
            await sinks.GetAsync(cancellationToken) is { Rows: { } rows } ? Results.Ok(rows) : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

        app.MapGet("/api/jobs", async (JobModeStatus jobs, CancellationToken cancellationToken) =>
            await jobs.GetAsync(cancellationToken) is { } row ? Results.Ok(row) : Results.NotFound());

        app.MapGet("/api/toolchains", async (ToolchainStatus toolchains, CancellationToken cancellationToken) =>
            await toolchains.GetAsync(cancellationToken) is { } rows ? Results.Ok(rows) : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

        app.MapGet("/resources/{name}", (string name, ResourceRegistry registry, FaasAppModel model) =>
            registry.Find(name) is { } resource
                ? Results.Content(
                    ResourceDetailPage.Render(resource, ResourceLog.ReadTail(resource.LogPath, ResourceDetailPage.LogLines), EnvironmentOf(model, name)),
                    "text/html; charset=utf-8")
                : Results.Content(ResourceDetailPage.RenderNotFound(name), "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound));

        app.MapGet("/api/resources", (ResourceRegistry registry) => TypedResults.Ok(registry.GetAll()));

        app.MapGet("/api/resources/{name}", (string name, ResourceRegistry registry) =>
            registry.Find(name) is { } resource
                ? Results.Ok(new ResourceDetails(resource, ResourceLog.ReadTail(resource.LogPath, ResourceDetailPage.LogLines)))
                : Results.NotFound());

        // Operators (and fault tests) restart one resource: a service process, PostgreSQL, or in-process Garnet.
        app.MapPost("/api/resources/{name}/restart", async (string name, Orchestration.Orchestrator orchestrator, CancellationToken cancellationToken) =>
            await orchestrator.RestartAsync(name, cancellationToken) ? Results.Accepted() : Results.NotFound());

        return app;
    }

    private static bool HasCompiler(FaasAppModel model) => model.Resources.Any(r => r.Name == ResourceNames.Compiler);

    private static IReadOnlyDictionary<string, string>? EnvironmentOf(FaasAppModel model, string name) =>
        model.Resources.OfType<ProjectResourceDefinition>().FirstOrDefault(p => p.Name == name)?.Environment;

    /// <summary>/api/resources/{name}: the snapshot and the last log lines.</summary>
    public sealed record ResourceDetails(ResourceSnapshot Resource, IReadOnlyList<string> Log);
}
