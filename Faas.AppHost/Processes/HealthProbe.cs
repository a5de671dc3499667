namespace Faas.AppHost.Processes;

/// <summary>Asks a service's <c>/health</c> endpoint whether it is healthy.</summary>
public sealed class HealthProbe : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public async Task<bool> IsHealthyAsync(Uri httpEndpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri(httpEndpoint, "/health"), cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
