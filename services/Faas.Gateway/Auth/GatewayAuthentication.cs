using Faas.ServiceDefaults.ServiceIdentity;
using Faas.Storage.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Faas.Gateway.Auth;

/// <summary>
/// Authentication at the public edge: a bearer token is either an API key (<c>faas_…</c>) or a signed user token
/// from a login; either way the request gets a caller with a tenant and a role. Every service of the public API
/// requires <see cref="UserPolicy"/>; the admin API requires <see cref="AdminPolicy"/>.
/// </summary>
public static class GatewayAuthentication
{
    /// <summary>The default scheme: picks the API key or the user token scheme by the token's form.</summary>
    public const string Scheme = "Faas";

    public const string UserTokenScheme = "UserToken";

    public const string UserPolicy = "FaasUser";

    public const string AdminPolicy = "FaasAdmin";

    public static IHostApplicationBuilder AddGatewayAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.SigningKey) || !string.IsNullOrWhiteSpace(o.SigningKeyFile),
                "User tokens need a signing key: set Auth:SigningKey (base64, at least 32 bytes) or Auth:SigningKeyFile.")
            .ValidateOnStart();
        builder.Services.AddSingleton<UserTokens>();
        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddRateLimiter(o => o.AddPolicy<string, AccountRateLimit>(AccountRateLimit.Policy));
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<ApiKeyDirectory>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ApiKeyDirectory>());
        builder.Services.AddSingleton<UserSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UserSessions>());
        builder.Services.AddHostedService<AdminBootstrap>();

        builder.Services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "API key or user token", o => o.ForwardDefaultSelector = context =>
                BearerToken(context.Request)?.StartsWith(ApiKeySecrets.Prefix, StringComparison.Ordinal) == true
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : UserTokenScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, _ => { })
            .AddJwtBearer(UserTokenScheme, _ => { });
        builder.Services.AddOptions<JwtBearerOptions>(UserTokenScheme).Configure<IOptions<AuthOptions>>((jwt, auth) =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Value.Issuer,
                ValidAudience = auth.Value.Issuer,
                IssuerSigningKey = SigningKeys.Load(auth.Value),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "sub",
                RoleClaimType = Caller.RoleClaim,
            };
            jwt.Events = new JwtBearerEvents
            {
                // A valid signature is not enough: the user must still exist and not have logged out since.
                OnTokenValidated = async context =>
                {
                    var principal = context.Principal!;
                    if (!Guid.TryParse(principal.FindFirst("sub")?.Value, out var userId)
                        || context.SecurityToken is not Microsoft.IdentityModel.JsonWebTokens.JsonWebToken token)
                    {
                        context.Fail("The token does not name a user.");
                        return;
                    }

                    var issuedAt = long.TryParse(principal.FindFirst(UserTokens.IssuedAtMillisecondsClaim)?.Value, out var ms)
                        ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                        : new DateTimeOffset(token.IssuedAt, TimeSpan.Zero);
                    var sessions = context.HttpContext.RequestServices.GetRequiredService<UserSessions>();
                    if (await sessions.RejectReasonAsync(userId, issuedAt, context.HttpContext.RequestAborted).ConfigureAwait(false)
                        is { } reason)
                    {
                        context.Fail(reason);
                    }
                },
                OnChallenge = context =>
                {
                    context.HandleResponse();
                    return AuthFailureResponse.WriteAsync(
                        context.HttpContext, AuthFailureResponse.Unauthenticated,
                        AuthResponses.Describe(context.AuthenticateFailure, BearerToken(context.Request) is not null));
                },
                OnForbidden = context => AuthFailureResponse.WriteAsync(
                    context.HttpContext, AuthFailureResponse.PermissionDenied, "This call needs the admin role."),
            };
        });

        builder.Services.AddAuthorizationBuilder()
            // The default scheme authenticated the request once already; the policies only look at the result.
            .AddPolicy(UserPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(Caller.TenantClaim))
            .AddPolicy(AdminPolicy, policy => policy.RequireAuthenticatedUser()
                .RequireClaim(Caller.RoleClaim, IdentityStore.RoleName(Role.Admin)));
        return builder;
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header; null when there is none.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }
}
