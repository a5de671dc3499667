using Microsoft.Extensions.Options;

namespace Faas.Gateway.Auth;

/// <summary>Passwords hashed with bcrypt (SHA-384 pre-hash, so long passwords are not cut at 72 bytes).</summary>
public sealed class PasswordHasher(IOptions<AuthOptions> options)
{
    private readonly Lazy<string> dummy = new(() => BCrypt.Net.BCrypt.EnhancedHashPassword("no such user", BCrypt.Net.HashType.SHA384, options.Value.BcryptWorkFactor));

    public string Hash(string password) => BCrypt.Net.BCrypt.EnhancedHashPassword(password, BCrypt.Net.HashType.SHA384, options.Value.BcryptWorkFactor);

    /// <summary>Checks a password; with no hash (unknown user) it spends the same time and fails, so timing does not tell which.</summary>
    public bool Verify(string password, string? hash)
    {
        if (hash is null)
        {
            BCrypt.Net.BCrypt.EnhancedVerify(password, dummy.Value, BCrypt.Net.HashType.SHA384);
            return false;
        }

        try
        {
            return BCrypt.Net.BCrypt.EnhancedVerify(password, hash, BCrypt.Net.HashType.SHA384);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            return false;
        }
    }
}
