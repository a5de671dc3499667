using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Faas.Gateway.Auth;

/// <summary>The key user tokens are signed with, from <see cref="AuthOptions"/>.</summary>
public static class SigningKeys
{
    public static SymmetricSecurityKey Load(AuthOptions options)
    {
        string text;
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            text = options.SigningKey;
        }
        else if (!string.IsNullOrWhiteSpace(options.SigningKeyFile))
        {
            text = File.Exists(options.SigningKeyFile)
                ? File.ReadAllText(options.SigningKeyFile, Encoding.UTF8)
                : throw new InvalidOperationException($"Auth:SigningKeyFile '{options.SigningKeyFile}' does not exist.");
        }
        else
        {
            throw new InvalidOperationException(
                "User tokens need a signing key: set Auth:SigningKey (base64, at least 32 bytes) or Auth:SigningKeyFile. The AppHost sets one.");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("The user token signing key is not base64.");
        }

        return key.Length < 32
            ? throw new InvalidOperationException($"The user token signing key has {key.Length} bytes; at least 32 are needed.")
            : new SymmetricSecurityKey(key) { KeyId = "faas-user" };
    }
}
