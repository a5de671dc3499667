using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Faas.SinkManager.Auth;

/// <summary>
/// Sink tokens: the <see cref="Scheme"/> JWT bearer scheme (signed by this sink manager, audience <see cref="SinkTokens.Audience"/>,
/// credential still live) and the <see cref="Policy"/> every sink call but Login requires. Failures answer with the reason,
/// as a gRPC status or HTTP 401.
/// </summary>
public static class SinkAuthentication
{
    public const string Scheme = "SinkToken";

    public const string Policy = "FaasSink";

    public static IHostApplicationBuilder AddSinkAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SinkTokens>();
        builder.Services.AddSingleton<SinkCredentials>();
        builder.Services.AddSingleton<SinkLoginGuard>();
        builder.Services.AddAuthentication().AddJwtBearer(Scheme, _ => { });
        builder.Services.AddOptions<JwtBearerOptions>(Scheme).Configure<SinkTokens>((jwt, tokens) =>
        {
            jwt.MapInboundClaims = false;
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = SinkTokens.Issuer,
                ValidAudience = SinkTokens.Audience,
                IssuerSigningKey = tokens.Key,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "name",
            };
            jwt.Events = new JwtBearerEvents
            {
                OnTokenValidated = async context =>
                {
                    var credentials = context.HttpContext.RequestServices.GetRequiredService<SinkCredentials>();
                    if (!Guid.TryParseExact(context.Principal?.FindFirst(SinkTokens.CredentialClaim)?.Value, "N", out var id)
                        || !await credentials.IsLiveAsync(id, context.HttpContext.RequestAborted).ConfigureAwait(false))
                    {
                        context.Fail("The sink credential of this token was revoked.");
                    }
                },
                OnChallenge = context =>
                {
                    context.HandleResponse();
                    var reason = context.AuthenticateFailure switch
                    {
                        null => "This call needs a sink token (Authorization: Bearer <token from SinkProtocol/Login>).",
                        SecurityTokenExpiredException => "The sink token has expired: log in again.",
                        SecurityTokenInvalidSignatureException => "The sink token's signature is not valid.",
                        { Message: var message } when message.Contains("revoked", StringComparison.Ordinal) => message,
                        _ => "The sink token is not valid.",
                    };
                    return AuthFailureResponse.WriteAsync(context.HttpContext, AuthFailureResponse.Unauthenticated, reason);
                },
                OnForbidden = context => AuthFailureResponse.WriteAsync(
                    context.HttpContext, AuthFailureResponse.PermissionDenied, "This call needs a sink token."),
            };
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim("aud", SinkTokens.Audience));
        return builder;
    }
}
