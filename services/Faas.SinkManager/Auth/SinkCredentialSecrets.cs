using System.Security.Cryptography;

namespace Faas.SinkManager.Auth;

/// <summary>
/// The form of a sink credential: <c>fsc_&lt;id, 32 hex&gt;_&lt;secret, 43 base64url&gt;</c>. The id finds the credential; the
/// secret (256 random bits) is stored only as a bcrypt hash.
/// </summary>
public static class SinkCredentialSecrets
{
    public const string Prefix = "fsc_";

    private const int SecretLength = 43;

    public static (Guid Id, string Credential, string Secret) Generate()
    {
        var id = Guid.NewGuid();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (id, $"{Prefix}{id:N}_{secret}", secret);
    }

    /// <summary>Splits a presented credential; false when it does not have the form of one.</summary>
    public static bool TryParse(string? credential, out Guid id, out string secret)
    {
        id = Guid.Empty;
        secret = "";
        credential = credential?.Trim();
        if (credential is null
            || !credential.StartsWith(Prefix, StringComparison.Ordinal)
            || credential.Length != Prefix.Length + 32 + 1 + SecretLength
            || credential[Prefix.Length + 32] != '_')
        {
            return false;
        }

        secret = credential[(Prefix.Length + 33)..];
        return Guid.TryParseExact(credential.AsSpan(Prefix.Length, 32), "N", out id);
    }

    public static string Hash(string secret, int workFactor) => BCrypt.Net.BCrypt.HashPassword(secret, workFactor);

    public static bool Verify(string secret, string hash)
    {
        try
        {
            return BCrypt.Net.BCrypt.Verify(secret, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }
}
