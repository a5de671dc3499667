using System.Globalization;
using System.Text.Json;
using Faas.AppHost.Hosting;
using Microsoft.Extensions.Hosting;

namespace Faas.AppHost.Status;

/// <summary>
/// What the platform knows beyond its processes, shown as resource properties in the Aspire dashboard and refreshed
/// every <see cref="Period"/>: each sink's state, capacity and load on the resource of the same name (the built-in
/// workers) and all of them on the sink manager; the languages the compiler can build on the compiler; whether JOB
/// mode can run on the job sink.
/// </summary>
internal sealed class MeshStatus(
    DistributedApplicationModel model, ResourceNotificationService notifications, GatewayAdmin gateway) : BackgroundService
{
    public const string Prefix = "faas.";
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(3) };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!model.Resources.Any(r => r.Name == ResourceNames.Gateway))
        {
            return;
        }

        using var timer = new PeriodicTimer(Period);
        try
        {
            do
            {
                await PublishSinksAsync(stoppingToken).ConfigureAwait(false);
                await PublishToolchainsAsync(stoppingToken).ConfigureAwait(false);
                await PublishJobModeAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }

    private async Task PublishSinksAsync(CancellationToken cancellationToken)
    {
        if (await gateway.GetAsync("/v1/sinks", cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return;
        }

        var sinks = SinkRow.Parse(body);
        foreach (var sink in sinks)
        {
            await PublishAsync(sink.Name, sink.Properties(), cancellationToken).ConfigureAwait(false);
        }

        await PublishAsync(ResourceNames.SinkManager, [("sinks", sinks.Count == 0 ? "none registered" : string.Join("; ", sinks.Select(s => s.Summary)))], cancellationToken)
            .ConfigureAwait(false);
    }

    private async Task PublishToolchainsAsync(CancellationToken cancellationToken)
    {
        if (await gateway.GetAsync("/v1/toolchains", cancellationToken).ConfigureAwait(false) is not { } body
            || !body.TryGetProperty("toolchains", out var toolchains))
        {
            return;
        }

        var properties = toolchains.EnumerateArray().Select(t =>
        {
            var language = Text(t, "language");
            var available = t.TryGetProperty("available", out var a) && a.ValueKind == JsonValueKind.True;
            return ($"toolchain.{language}", available ? $"available: {Text(t, "version")}" : Text(t, "description"));
        }).ToList();
        properties.Add(("buildSandbox", body.TryGetProperty("networkIsolated", out var sandboxed) && sandboxed.ValueKind == JsonValueKind.True
            ? "bubblewrap: own mount, PID and network namespaces, unprivileged user"
            : "missing: no language can be built (install bubblewrap)"));
        await PublishAsync(ResourceNames.Compiler, properties, cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishJobModeAsync(CancellationToken cancellationToken)
    {
        if (model.Resources.OfType<ExecutableResource>().FirstOrDefault(r => r.Name == ResourceNames.Jobs) is not { } resource
            || !resource.GetEndpoint("http").IsAllocated)
        {
            return;
        }

        try
        {
            using var response = await http.GetAsync(new Uri(new Uri(resource.GetEndpoint("http").Url), "/jobs/status"), cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var available = json.RootElement.TryGetProperty("available", out var a) && a.ValueKind == JsonValueKind.True;
            await PublishAsync(ResourceNames.Jobs, [("jobMode", $"{(available ? "available" : "unavailable")}: {Text(json.RootElement, "description")}")], cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PublishAsync(string resourceName, IReadOnlyList<(string Name, string Value)> properties, CancellationToken cancellationToken)
    {
        if (model.Resources.FirstOrDefault(r => r.Name == resourceName) is not { } resource)
        {
            return; // an external sink: listed on the sink manager only
        }

        cancellationToken.ThrowIfCancellationRequested();
        var names = properties.Select(p => Prefix + p.Name).ToHashSet(StringComparer.Ordinal);
        await notifications.PublishUpdateAsync(resource, snapshot => snapshot with
        {
            Properties = [.. snapshot.Properties.Where(p => !names.Contains(p.Name)), .. properties.Select(p => new ResourcePropertySnapshot(Prefix + p.Name, p.Value))],
        }).ConfigureAwait(false);
    }

    internal static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    internal static string Invariant(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
