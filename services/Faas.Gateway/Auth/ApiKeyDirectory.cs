using System.Collections.Concurrent;
using Faas.Storage.Identity;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Gateway.Auth;

/// <summary>
/// API keys as the gateway checks them on every request: read from PostgreSQL once and cached for
/// <see cref="AuthOptions.ApiKeyCacheDuration"/>. A revoke is announced over Redis pub/sub and dropped from every
/// gateway's cache at once. When a key was last used is written in batches, not per request.
/// </summary>
public sealed partial class ApiKeyDirectory(
    IdentityStore store, IConnectionMultiplexer redis, IOptions<AuthOptions> options, TimeProvider time, ILogger<ApiKeyDirectory> logger)
    : BackgroundService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("faas:apikeys:revoked");
    private readonly ConcurrentDictionary<Guid, (ApiKeyIdentity? Key, long ReadAt)> cache = new();
    private readonly ConcurrentDictionary<Guid, byte> used = new();

    /// <summary>The key with this id and whom it stands for; null when there is none.</summary>
    public async ValueTask<ApiKeyIdentity?> FindAsync(Guid keyId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(keyId, out var entry) && time.GetElapsedTime(entry.ReadAt) < options.Value.ApiKeyCacheDuration)
        {
            return entry.Key;
        }

        var readAt = time.GetTimestamp();
        var key = await store.FindApiKeyAsync(keyId, cancellationToken).ConfigureAwait(false);
        cache[keyId] = (key, readAt);
        return key;
    }

    public void MarkUsed(Guid keyId) => used.TryAdd(keyId, 0);

    /// <summary>Revokes one of the user's keys and tells every gateway; false when the user has no such key.</summary>
    public async Task<bool> RevokeAsync(Guid userId, Guid keyId, CancellationToken cancellationToken)
    {
        if (!await store.RevokeApiKeyAsync(userId, keyId, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await ForgetEverywhereAsync([keyId]).ConfigureAwait(false);
        return true;
    }

    /// <summary>Drops keys from every gateway's cache (after a revoke, or when their user was deleted).</summary>
    public async Task ForgetEverywhereAsync(IEnumerable<Guid> keyIds)
    {
        foreach (var keyId in keyIds)
        {
            cache.TryRemove(keyId, out _);
            await redis.GetSubscriber().PublishAsync(Channel, keyId.ToString("N")).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await redis.GetSubscriber().SubscribeAsync(Channel, (channel, message) =>
        {
            if (Guid.TryParseExact((string?)message, "N", out var keyId))
            {
                cache.TryRemove(keyId, out _);
            }
        }).ConfigureAwait(false);

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15), time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await FlushUsedAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task FlushUsedAsync(CancellationToken cancellationToken)
    {
        if (used.IsEmpty)
        {
            return;
        }

        var keys = used.Keys.ToArray();
        foreach (var key in keys)
        {
            used.TryRemove(key, out _);
        }

        try
        {
            await store.TouchApiKeysAsync(keys, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            LogTouchFailed(logger, keys.Length, e.Message);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Could not record the last use of {Keys} API keys: {Reason}")]
    private static partial void LogTouchFailed(ILogger logger, int keys, string reason);
}
