using Faas.ServiceDefaults.ServiceIdentity;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Auth;

/// <summary>Authenticates <c>Authorization: Bearer faas_…</c> API keys: known, not revoked, not expired, secret matches.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyDirectory keys, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (GatewayAuthentication.BearerToken(Request) is not { } presented)
        {
            return AuthenticateResult.NoResult();
        }

        if (!ApiKeySecrets.TryParse(presented, out var keyId, out var secret))
        {
            return AuthenticateResult.Fail("The API key is malformed.");
        }

        var key = await keys.FindAsync(keyId, Context.RequestAborted).ConfigureAwait(false);
        if (key is null || !ApiKeySecrets.Matches(secret, key.SecretSha256))
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        if (key.RevokedAt is not null)
        {
            return AuthenticateResult.Fail("The API key was revoked.");
        }

        if (key.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            return AuthenticateResult.Fail("The API key has expired.");
        }

        keys.MarkUsed(keyId);
        var identity = new ClaimsIdentity(Caller.Claims(key.UserId, key.Email, key.TenantId, key.Role, "api_key"), SchemeName, "sub", Caller.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        await AuthFailureResponse.WriteAsync(Context, AuthFailureResponse.Unauthenticated, result.Failure?.Message ?? "The API key is not valid.").ConfigureAwait(false);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AuthFailureResponse.WriteAsync(Context, AuthFailureResponse.PermissionDenied, "This call needs the admin role.");
}
