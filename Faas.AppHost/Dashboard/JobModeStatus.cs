using System.Text.Json;
using Faas.AppHost.Jobs;
using Faas.AppHost.Model;

namespace Faas.AppHost.Dashboard;

/// <summary>Whether JOB mode can run, as the scheduler's launcher says (<c>GET /jobs/status</c>), and where the AppHost's publish of the one-shot runtime stands.</summary>
public sealed record JobModeRow(bool? Available, string Launcher, string Runtime);

/// <summary>Reads the scheduler's <c>/jobs/status</c> for the dashboard (null fields while the scheduler is not answering).</summary>
public sealed class JobModeStatus(FaasAppModel model, OneShotRuntimeState runtime) : IDisposable
{
    private readonly HttpClient client = new() { Timeout = TimeSpan.FromSeconds(2) };

    public async Task<JobModeRow?> GetAsync(CancellationToken cancellationToken)
    {
        if (model.Resources.All(r => r.Name != ResourceNames.Scheduler))
        {
            return null;
        }

        try
        {
            var uri = new Uri(model.GetEndpoint(ResourceNames.Scheduler, EndpointDefinition.Http), "/jobs/status");
            using var response = await client.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                var root = json.RootElement;
                return new JobModeRow(
                    root.TryGetProperty("available", out var available) && available.ValueKind == JsonValueKind.True,
                    root.TryGetProperty("description", out var description) ? description.GetString() ?? "" : "",
                    runtime.Description);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
        }

        return new JobModeRow(null, "the scheduler is not answering", runtime.Description);
    }

    public void Dispose() => client.Dispose();
}
