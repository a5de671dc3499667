using System.Security.Claims;
using Faas.Storage.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Faas.Gateway.Auth;

/// <summary>Issues the signed token a login returns.</summary>
public sealed class UserTokens(IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>When the token was issued, in milliseconds since the epoch.</summary>
    public const string IssuedAtMillisecondsClaim = "iat_ms";

    private readonly SigningCredentials credentials = new(SigningKeys.Load(options.Value), SecurityAlgorithms.HmacSha256);

    public (string Token, DateTimeOffset ExpiresAt) Issue(User user)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.TokenLifetime;
        var claims = Caller.Claims(user.Id, user.Email, user.TenantId, user.Role, "token");
        // iat has whole seconds; a logout must tell apart tokens issued just before and just after it.
        claims.Add(new Claim(IssuedAtMillisecondsClaim, now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = options.Value.Issuer,
            Audience = options.Value.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = credentials,
        });
        return (token, expires);
    }
}
