using System.Collections.Concurrent;
using Faas.Storage.Identity;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Gateway.Auth;

/// <summary>
/// Whether a login token's user may still use it: the user exists and did not log out everywhere after the token
/// was issued. Read from PostgreSQL and cached for <see cref="AuthOptions.SessionCacheDuration"/>; a logout or a
/// deletion is announced over Redis pub/sub and dropped from every gateway's cache at once.
/// </summary>
public sealed class UserSessions(IdentityStore store, IConnectionMultiplexer redis, IOptions<AuthOptions> options, TimeProvider time)
    : BackgroundService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("faas:users:changed");
    private readonly ConcurrentDictionary<Guid, ((bool Exists, DateTimeOffset? ValidAfter) State, long ReadAt)> cache = new();

    /// <summary>Null when the token is good; otherwise why it is not.</summary>
    public async ValueTask<string?> RejectReasonAsync(Guid userId, DateTimeOffset issuedAt, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue(userId, out var entry) || time.GetElapsedTime(entry.ReadAt) >= options.Value.SessionCacheDuration)
        {
            var readAt = time.GetTimestamp();
            entry = (await store.GetTokenStateAsync(userId, cancellationToken).ConfigureAwait(false), readAt);
            cache[userId] = entry;
        }

        return !entry.State.Exists ? "The account of this token no longer exists."
            : entry.State.ValidAfter is { } after && issuedAt < after ? "The token was revoked by a logout; log in again."
            : null;
    }

    /// <summary>Refuses every token of the user issued until now, on every gateway.</summary>
    public async Task LogoutAsync(Guid userId, CancellationToken cancellationToken)
    {
        await store.RevokeTokensAsync(userId, cancellationToken).ConfigureAwait(false);
        await ForgetEverywhereAsync(userId).ConfigureAwait(false);
    }

    /// <summary>Drops what every gateway cached about the user (after a logout or a deletion).</summary>
    public async Task ForgetEverywhereAsync(Guid userId)
    {
        cache.TryRemove(userId, out _);
        await redis.GetSubscriber().PublishAsync(Channel, userId.ToString("N")).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        redis.GetSubscriber().SubscribeAsync(Channel, (channel, message) =>
        {
            if (Guid.TryParseExact((string?)message, "N", out var userId))
            {
                cache.TryRemove(userId, out _);
            }
        });
}
