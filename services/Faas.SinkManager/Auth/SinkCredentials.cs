using System.Collections.Concurrent;
using Faas.Storage.Sinks;
using Microsoft.Extensions.Options;

namespace Faas.SinkManager.Auth;

/// <summary>The outcome of a sink login.</summary>
public sealed record SinkLogin(Guid CredentialId, string Name, string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Sink credentials: created with a random secret shown once (stored as a bcrypt hash), exchanged for tokens at login,
/// revoked for good. Whether a token's credential is still live is cached briefly; a revoke here takes effect at once.
/// </summary>
public sealed partial class SinkCredentials(
    SinkCredentialStore store, SinkTokens tokens, IOptions<SinkManagerOptions> options, TimeProvider time, ILogger<SinkCredentials> logger)
{
    private static readonly TimeSpan LiveCacheDuration = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, (bool Live, DateTimeOffset CheckedAt)> live = new();

    /// <summary>A spent hash to verify against when the credential does not exist, so timing does not tell.</summary>
    private readonly Lazy<string> dummyHash = new(() => SinkCredentialSecrets.Hash("no such credential", options.Value.BcryptWorkFactor));

    public event Action<Guid>? Revoked;

    /// <exception cref="SinkCredentialConflictException">A live credential has the name.</exception>
    public async Task<(SinkCredentialRecord Record, string Credential)> CreateAsync(string name, CancellationToken cancellationToken)
    {
        var (id, credential, secret) = SinkCredentialSecrets.Generate();
        var record = await store.CreateAsync(id, name, SinkCredentialSecrets.Hash(secret, options.Value.BcryptWorkFactor), cancellationToken).ConfigureAwait(false);
        LogCreated(logger, name, id);
        return (record, credential);
    }

    public Task<IReadOnlyList<SinkCredentialRecord>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public async Task<SinkCredentialRecord?> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        var record = await store.RevokeAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is not null)
        {
            live[id] = (false, time.GetUtcNow());
            LogRevoked(logger, record.Name, id);
            Revoked?.Invoke(id);
        }

        return record;
    }

    /// <summary>A token for a valid credential; null for a malformed, unknown, revoked or wrong one (which one is not said).</summary>
    public async Task<SinkLogin?> LoginAsync(string credential, CancellationToken cancellationToken)
    {
        if (!SinkCredentialSecrets.TryParse(credential, out var id, out var secret))
        {
            return null;
        }

        var record = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is null || record.IsRevoked)
        {
            SinkCredentialSecrets.Verify(secret, dummyHash.Value);
            return null;
        }

        if (!SinkCredentialSecrets.Verify(secret, record.SecretHash))
        {
            LogWrongSecret(logger, record.Name, id);
            return null;
        }

        var now = time.GetUtcNow();
        live[id] = (true, now);
        await store.TouchAsync(id, now, cancellationToken).ConfigureAwait(false);
        var (token, expiresAt) = tokens.Issue(id, record.Name);
        return new SinkLogin(id, record.Name, token, expiresAt);
    }

    /// <summary>Whether the credential exists and is not revoked (cached for a short while).</summary>
    public async ValueTask<bool> IsLiveAsync(Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (live.TryGetValue(id, out var cached) && now - cached.CheckedAt < LiveCacheDuration)
        {
            return cached.Live;
        }

        var record = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var isLive = record is { IsRevoked: false };
        live[id] = (isLive, now);
        return isLive;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Created sink credential {Name} ({Id})")]
    private static partial void LogCreated(ILogger logger, string name, Guid id);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Revoked sink credential {Name} ({Id})")]
    private static partial void LogRevoked(ILogger logger, string name, Guid id);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "A sink presented a wrong secret for credential {Name} ({Id})")]
    private static partial void LogWrongSecret(ILogger logger, string name, Guid id);
}
