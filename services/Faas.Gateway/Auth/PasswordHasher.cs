using System.Threading.RateLimiting;
using Faas.Gateway.Errors;
using Microsoft.Extensions.Options;

namespace Faas.Gateway.Auth;

/// <summary>
/// Passwords hashed with bcrypt (SHA-384 pre-hash, so long passwords are not cut at 72 bytes). A hash costs a core for
/// tens of milliseconds, so at most <see cref="AuthOptions.MaxConcurrentPasswordHashes"/> run at once and at most
/// <see cref="AuthOptions.PasswordHashQueue"/> wait: sign-ups and logins cannot take every core from invocations.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private readonly AuthOptions options;
    private readonly ConcurrencyLimiter turns;
    private readonly Lazy<string> dummy;

    public PasswordHasher(IOptions<AuthOptions> options)
    {
        this.options = options.Value;
        turns = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = this.options.MaxConcurrentPasswordHashes,
            QueueLimit = this.options.PasswordHashQueue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        dummy = new(() => BCrypt.Net.BCrypt.EnhancedHashPassword("no such user", BCrypt.Net.HashType.SHA384, this.options.BcryptWorkFactor));
    }

    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        using var turn = await TurnAsync(cancellationToken).ConfigureAwait(false);
        return BCrypt.Net.BCrypt.EnhancedHashPassword(password, BCrypt.Net.HashType.SHA384, options.BcryptWorkFactor);
    }

    /// <summary>Checks a password; with no hash (unknown user) it spends the same time and fails, so timing does not tell which.</summary>
    public async Task<bool> VerifyAsync(string password, string? hash, CancellationToken cancellationToken)
    {
        using var turn = await TurnAsync(cancellationToken).ConfigureAwait(false);
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

    public void Dispose() => turns.Dispose();

    private async Task<RateLimitLease> TurnAsync(CancellationToken cancellationToken)
    {
        var turn = await turns.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!turn.IsAcquired)
        {
            turn.Dispose();
            throw new CapacityExceededException("Too many sign-ups and logins at once; try again shortly.", retryAfterSeconds: 1);
        }

        return turn;
    }
}
