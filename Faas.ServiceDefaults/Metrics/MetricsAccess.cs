using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Faas.ServiceDefaults.Metrics;

/// <summary>
/// Who may scrape <c>/metrics</c>, which names every tenant's functions: the operator, with
/// <c>Authorization: Bearer &lt;Metrics:BearerToken&gt;</c> (or the token in <c>Metrics:BearerTokenFile</c>). Without a
/// token the endpoint refuses everyone, unless <c>Metrics:AllowAnonymous</c> opens it on purpose.
/// </summary>
public sealed class MetricsAccess
{
    private readonly byte[]? expected;
    private readonly bool anonymous;

    private MetricsAccess(string? token, bool anonymous)
    {
        expected = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes("Bearer " + token);
        this.anonymous = anonymous;
    }

    public static MetricsAccess From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var token = configuration["Metrics:BearerToken"];
        if (string.IsNullOrEmpty(token) && configuration["Metrics:BearerTokenFile"] is { Length: > 0 } file)
        {
            token = File.ReadAllText(file).Trim();
        }

        return new MetricsAccess(token, configuration.GetValue("Metrics:AllowAnonymous", false));
    }

    /// <summary>Whether a scrape with this <c>Authorization</c> header may read the metrics.</summary>
    public bool Allows(string? authorization)
    {
        if (expected is null)
        {
            return anonymous;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorization ?? ""), expected);
    }

    /// <summary>Puts the check in front of <c>/metrics</c>: 401 with a <c>WWW-Authenticate: Bearer</c> challenge when refused.</summary>
    public void Protect(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/metrics"), metrics => metrics.Use(async (context, next) =>
        {
            if (!Allows(context.Request.Headers.Authorization.ToString()))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }

            await next(context).ConfigureAwait(false);
        }));
    }
}
