using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.IdentityModel.Tokens;

namespace Faas.Gateway.Auth;

/// <summary>The key user tokens are signed with, from <see cref="AuthOptions"/>.</summary>
public static class SigningKeys
{
    public static SymmetricSecurityKey Load(AuthOptions options) => ServiceKey.Load(
        options.SigningKey, options.SigningKeyFile, "Auth:SigningKey", "Auth:SigningKeyFile", "faas-user",
        "User tokens need a signing key", "The AppHost sets one.");
}
