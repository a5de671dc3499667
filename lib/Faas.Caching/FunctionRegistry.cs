using System.Collections.Concurrent;
using Faas.Queues;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Caching;

/// <summary>
/// The function registry as the invoke path sees it: resolved versions cached in memory, so an invoke
/// costs no database round trip. Entries are dropped when any service publishes a change, when Redis
/// reconnects (notifications may have been missed), and after <see cref="FunctionRegistryOptions.MaxAge"/>.
/// </summary>
public sealed class FunctionRegistry(
    FunctionStore store,
    FunctionChangeNotifier notifier,
    IConnectionMultiplexer redis,
    TimeProvider timeProvider,
    IOptions<FunctionRegistryOptions> options) : IHostedService
{
    private readonly ConcurrentDictionary<Key, Entry> cache = new();
    private long generation;

    /// <summary>
    /// The version an invocation runs (see <see cref="FunctionStore.GetRunnableVersionAsync"/>): the pinned one,
    /// or for <paramref name="version"/> 0 the newest READY one; null when there is none.
    /// </summary>
    public async ValueTask<FunctionVersion?> ResolveAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken)
    {
        var key = new Key(tenantId, name, version);
        var now = timeProvider.GetTimestamp();
        if (cache.TryGetValue(key, out var entry) && timeProvider.GetElapsedTime(entry.LoadedAt, now) < MaxAgeOf(entry))
        {
            return entry.Version;
        }

        // An invalidation that lands while the load is in flight may concern what is being loaded:
        // then the result is served but not cached.
        var generationBefore = Volatile.Read(ref generation);
        var loaded = await store.GetRunnableVersionAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref generation) == generationBefore)
        {
            cache[key] = new Entry(loaded, now);
        }

        return loaded;
    }

    /// <summary>Drops every cached entry of a function, here and (through Redis) everywhere else.</summary>
    public async Task InvalidateAsync(Guid tenantId, string name)
    {
        Forget(tenantId, name);
        await notifier.PublishAsync(tenantId, name).ConfigureAwait(false);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await notifier.SubscribeAsync(Forget).ConfigureAwait(false);
        redis.ConnectionRestored += (_, _) =>
        {
            Interlocked.Increment(ref generation);
            cache.Clear();
        };
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Forget(Guid tenantId, string name)
    {
        Interlocked.Increment(ref generation);
        foreach (var key in cache.Keys)
        {
            if (key.TenantId == tenantId && key.Name == name)
            {
                cache.TryRemove(key, out _);
            }
        }
    }

    private TimeSpan MaxAgeOf(Entry entry) => entry.Version is null ? options.Value.NotFoundMaxAge : options.Value.MaxAge;

    private readonly record struct Key(Guid TenantId, string Name, int Version);

    private sealed record Entry(FunctionVersion? Version, long LoadedAt);
}
