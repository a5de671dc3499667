using System.Security.Claims;
using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Faas.SinkManager.Auth;

/// <summary>Issues and describes the signed token a sink logs in for (HS256, audience <see cref="Audience"/>, subject the credential id).</summary>
public sealed class SinkTokens(IOptions<SinkManagerOptions> options, TimeProvider time)
{
    public const string Audience = "faas-sink";

    public const string Issuer = "faas-sinkmanager";

    /// <summary>The claim that names the credential (also the subject).</summary>
    public const string CredentialClaim = "sub";

    public SymmetricSecurityKey Key { get; } = LoadKey(options.Value);

    public (string Token, DateTimeOffset ExpiresAt) Issue(Guid credentialId, string credentialName)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.TokenLifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim(CredentialClaim, credentialId.ToString("N")), new Claim("name", credentialName)]),
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
        return (token, expires);
    }

    public static SymmetricSecurityKey LoadKey(SinkManagerOptions options) => ServiceKey.Load(
        options.SigningKey, options.SigningKeyFile,
        $"{SinkManagerOptions.SectionName}:SigningKey", $"{SinkManagerOptions.SectionName}:SigningKeyFile", "faas-sink",
        "Sink tokens are signed", "The AppHost creates .faas/secrets/sink-token.key for the sink manager it starts.");
}
