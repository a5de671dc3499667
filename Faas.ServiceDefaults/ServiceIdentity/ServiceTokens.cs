using System.Security.Claims;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>
/// Mints this service's token for calls to the others: a JWT signed with the shared service key, audience
/// <see cref="ServiceAuthOptions.Audience"/>, subject the service's name. One token is reused until a third of
/// its lifetime is left.
/// </summary>
public sealed class ServiceTokens
{
    private readonly SigningCredentials credentials;
    private readonly ServiceAuthOptions options;
    private readonly string serviceName;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private (string Token, DateTimeOffset RenewAt) current;

    public ServiceTokens(IOptions<ServiceAuthOptions> options, IHostEnvironment environment, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
        credentials = new SigningCredentials(ServiceKey.Load(this.options), SecurityAlgorithms.HmacSha256);
        serviceName = Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") is { Length: > 0 } name ? name : environment.ApplicationName;
    }

    /// <summary>The current token (a header value without the "Bearer " prefix).</summary>
    public string Current
    {
        get
        {
            var now = time.GetUtcNow();
            lock (gate)
            {
                if (current.Token is null || now >= current.RenewAt)
                {
                    var lifetime = options.TokenLifetime;
                    var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
                    {
                        Subject = new ClaimsIdentity([new Claim("sub", serviceName)]),
                        Audience = ServiceAuthOptions.Audience,
                        Issuer = ServiceAuthOptions.Audience,
                        IssuedAt = now.UtcDateTime,
                        NotBefore = now.UtcDateTime.AddSeconds(-30),
                        Expires = now.UtcDateTime + lifetime,
                        SigningCredentials = credentials,
                    });
                    current = (token, now + (lifetime * 2 / 3));
                }

                return current.Token;
            }
        }
    }
}

/// <summary>Puts this service's token on every outgoing call of the client it is added to.</summary>
public sealed class ServiceTokenHandler(ServiceTokens tokens) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tokens.Current);
        return base.SendAsync(request, cancellationToken);
    }
}
