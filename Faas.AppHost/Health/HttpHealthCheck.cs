using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faas.AppHost.Health;

/// <summary>Healthy when <c>GET {endpoint}{path}</c> answers 200 (a service's <c>/health</c>).</summary>
internal sealed class HttpHealthCheck(EndpointReference endpoint, string path) : IHealthCheck
{
    // Loopback only, never through a proxy; a service that accepts the connection and does not answer is unhealthy.
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!endpoint.IsAllocated)
        {
            return HealthCheckResult.Unhealthy("Not started yet.");
        }

        var url = $"{endpoint.Url}{path}";
        try
        {
            using var response = await Client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy($"GET {url} failed: {e.Message}");
        }
    }
}
