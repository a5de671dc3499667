using System.Net.Http.Headers;
using System.Text.Json;
using Faas.AppHost.Model;

namespace Faas.AppHost.Dashboard;

/// <summary>
/// Reads the gateway's API for the dashboard as the administrator, with the key the gateway wrote to
/// <c>&lt;state&gt;/admin.key</c> on its first start. Null (with the reason) when the gateway is not part of the
/// model, not answering, or there is no key to read with.
/// </summary>
public sealed class GatewayAdminClient(FaasAppModel model) : IDisposable
{
    private readonly HttpClient client = new() { Timeout = TimeSpan.FromSeconds(2) };

    public bool HasGateway => model.Resources.Any(r => r.Name == ResourceNames.Gateway);

    public async Task<(JsonElement? Body, string Problem)> GetAsync(string path, CancellationToken cancellationToken)
    {
        if (!HasGateway)
        {
            return (null, "there is no gateway");
        }

        if (!File.Exists(model.State.AdminKeyFile))
        {
            return (null, $"there is no administrator key in {model.State.AdminKeyFile} to read it with");
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(model.GetEndpoint(ResourceNames.Gateway, EndpointDefinition.Http), path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(model.State.AdminKeyFile, cancellationToken).ConfigureAwait(false)).Trim());
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"the gateway answered {(int)response.StatusCode}");
            }

            using var json = JsonDocument.Parse(text);
            return (json.RootElement.Clone(), "");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return (null, "the gateway is not answering");
        }
    }

    public void Dispose() => client.Dispose();
}
