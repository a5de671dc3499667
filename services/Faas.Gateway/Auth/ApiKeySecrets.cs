using System.Security.Cryptography;
using System.Text;

namespace Faas.Gateway.Auth;

/// <summary>
/// The form of an API key: <c>faas_&lt;key id, 32 hex&gt;_&lt;secret, 43 base64url&gt;</c>. The id finds the key; the secret
/// (256 random bits) is stored only as its SHA-256, which is enough for a secret that cannot be guessed.
/// </summary>
public static class ApiKeySecrets
{
    public const string Prefix = "faas_";

    public static (Guid Id, string Key, byte[] Sha256) Generate()
    {
        var id = Guid.NewGuid();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id:N}_{secret}", Hash(secret));
    }

    /// <summary>Splits a presented key; false when it does not have the form of one.</summary>
    public static bool TryParse(string key, out Guid id, out string secret)
    {
        id = Guid.Empty;
        secret = "";
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length != Prefix.Length + 32 + 1 + 43 || key[Prefix.Length + 32] != '_')
        {
            return false;
        }

        secret = key[(Prefix.Length + 33)..];
        return Guid.TryParseExact(key.AsSpan(Prefix.Length, 32), "N", out id);
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.ASCII.GetBytes(secret));

    /// <summary>Whether the presented secret hashes to the stored hash, in time that does not depend on where they differ.</summary>
    public static bool Matches(string secret, byte[] storedSha256) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedSha256);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
