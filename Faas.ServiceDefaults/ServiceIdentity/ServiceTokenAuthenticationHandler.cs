using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>
/// Checks service tokens: signed with the shared service key, audience <see cref="ServiceAuthOptions.Audience"/>, not
/// expired. A caller reuses its token for minutes, so a token that passed is remembered until it expires and later
/// calls skip the signature check.
/// </summary>
public sealed class ServiceTokenValidator
{
    private const int MaxRemembered = 4096;
    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters parameters;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, (ClaimsPrincipal Principal, DateTimeOffset Expires)> valid = new(StringComparer.Ordinal);

    public ServiceTokenValidator(IOptions<ServiceAuthOptions> options, TimeProvider time)
    {
        this.time = time;
        parameters = new TokenValidationParameters
        {
            ValidIssuer = ServiceAuthOptions.Audience,
            ValidAudience = ServiceAuthOptions.Audience,
            IssuerSigningKey = ServiceKey.Load(options.Value),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = "sub",
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } e && e > now - TimeSpan.FromSeconds(30) && (notBefore is not { } nb || nb <= now + TimeSpan.FromSeconds(30));
            },
        };
    }

    /// <summary>
    /// The service the token stands for; null with the reason when it is not a valid service token; null and no reason
    /// when it is a well-formed token another issuer made (a sink token, a user token): not one this scheme judges.
    /// </summary>
    public async ValueTask<(ClaimsPrincipal? Principal, string? Failure)> ValidateAsync(string token, string scheme)
    {
        var now = time.GetUtcNow();
        if (valid.TryGetValue(token, out var remembered))
        {
            if (remembered.Expires > now)
            {
                return (remembered.Principal, null);
            }

            valid.TryRemove(token, out _);
        }

        if (IsAnotherIssuers(token))
        {
            return (null, null);
        }

        var result = await handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, "The service token is not valid: " + (result.Exception?.Message ?? "rejected") + ".");
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(result.ClaimsIdentity.Claims, scheme, "sub", "role"));
        if (valid.Count >= MaxRemembered)
        {
            valid.Clear();
        }

        valid[token] = (principal, new DateTimeOffset(result.SecurityToken.ValidTo, TimeSpan.Zero));
        return (principal, null);
    }

    private bool IsAnotherIssuers(string token)
    {
        if (!handler.CanReadToken(token))
        {
            return false;
        }

        try
        {
            return new JsonWebToken(token).Issuer is { Length: > 0 } issuer && issuer != ServiceAuthOptions.Audience;
        }
        catch (ArgumentException)
        {
            // Not readable after all: judged (and refused) as a service token.
            return false;
        }
    }
}

/// <summary>Authenticates calls between services (<see cref="Microsoft.Extensions.Hosting.ServiceAuthentication.Scheme"/>).</summary>
public sealed class ServiceTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ServiceTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Refusal = "This port serves other Faas services only: the call needs a service token.";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // A token of another issuer (a sink's, on the sink manager, whose own scheme judges it) is no result here, not a
        // failure to log on every call.
        var (principal, failure) = await validator.ValidateAsync(header[7..].Trim(), Scheme.Name).ConfigureAwait(false);
        return principal is not null ? AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name))
            : failure is not null ? AuthenticateResult.Fail(failure)
            : AuthenticateResult.NoResult();
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthFailureResponse.WriteAsync(Context, AuthFailureResponse.Unauthenticated, Refusal);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthFailureResponse.WriteAsync(Context, AuthFailureResponse.PermissionDenied, Refusal);
}
