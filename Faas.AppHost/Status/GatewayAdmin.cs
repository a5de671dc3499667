using System.Net.Http.Headers;
using System.Text.Json;
using Faas.AppHost.Hosting;

namespace Faas.AppHost.Status;

/// <summary>
/// The gateway's API as the administrator, with the key it wrote to <c>&lt;state&gt;/admin.key</c> on its first
/// start: what the dashboard shows of sinks and toolchains, and where its commands act.
/// </summary>
internal sealed class GatewayAdmin(DistributedApplicationModel model, AppHostSettings settings) : IDisposable
{
    private readonly HttpClient client = new() { Timeout = TimeSpan.FromSeconds(5) };

    public Task<JsonElement?> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, cancellationToken);

    public async Task<JsonElement?> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        if (model.Resources.OfType<ExecutableResource>().FirstOrDefault(r => r.Name == ResourceNames.Gateway) is not { } gateway
            || !gateway.GetEndpoint("http").IsAllocated || !File.Exists(settings.State.AdminKeyFile))
        {
            return null;
        }

        try
        {
            using var request = new HttpRequestMessage(method, new Uri(new Uri(gateway.GetEndpoint("http").Url), path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(settings.State.AdminKeyFile, cancellationToken).ConfigureAwait(false)).Trim());
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return text.Length == 0 ? default(JsonElement) : JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public void Dispose() => client.Dispose();
}
