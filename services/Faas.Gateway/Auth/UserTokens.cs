using System.Security.Claims;
using Faas.Storage.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Faas.Gateway.Auth;

/// <summary>Issues the signed token a login returns.</summary>
public sealed class UserTokens(IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly SigningCredentials credentials = new(SigningKeys.Load(options.Value), SecurityAlgorithms.HmacSha256);

    public (string Token, DateTimeOffset ExpiresAt) Issue(User user)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.TokenLifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(Caller.Claims(user.Id, user.Email, user.TenantId, user.Role, "token")),
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
