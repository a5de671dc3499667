using System.Collections.Concurrent;
using Faas.Storage.Logs;
using Npgsql;

namespace Faas.Gateway.Logs;

/// <summary>
/// Listens on PostgreSQL's <see cref="FunctionLogStore.Channel"/> (one connection per gateway) and wakes the followers
/// of the tenant whose lines were committed. After a lost connection it listens again and wakes every follower, so
/// lines committed meanwhile are read; followers also look on their own every <see cref="LogOptions.FollowPollInterval"/>.
/// </summary>
public sealed partial class LogFeed(NpgsqlDataSource dataSource, ILogger<LogFeed> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<LogFollower, byte>> followers = new();

    /// <summary>Followers of the tenant on this gateway.</summary>
    public int Count(Guid tenantId) => followers.TryGetValue(tenantId, out var set) ? set.Count : 0;

    /// <summary>Starts waking a follower of the tenant's lines; dispose it to stop.</summary>
    public LogFollower Follow(Guid tenantId)
    {
        var follower = new LogFollower(this, tenantId);
        followers.GetOrAdd(tenantId, _ => new ConcurrentDictionary<LogFollower, byte>())[follower] = 0;
        return follower;
    }

    internal void Remove(LogFollower follower)
    {
        if (followers.TryGetValue(follower.TenantId, out var set))
        {
            set.TryRemove(follower, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var tenant))
                    {
                        Wake(tenant);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {FunctionLogStore.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                WakeAll();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.IO.IOException)
            {
                LogListenFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void Wake(Guid tenant)
    {
        if (followers.TryGetValue(tenant, out var set))
        {
            foreach (var follower in set.Keys)
            {
                follower.Wake();
            }
        }
    }

    private void WakeAll()
    {
        foreach (var tenant in followers.Keys)
        {
            Wake(tenant);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Listening for new function log lines failed; listening again in a second (followers look every few seconds meanwhile)")]
    private static partial void LogListenFailed(ILogger logger, Exception exception);
}

/// <summary>One follower of a tenant's lines: woken when lines of the tenant were committed.</summary>
public sealed class LogFollower : IDisposable
{
    private readonly LogFeed feed;
    private readonly SemaphoreSlim signal = new(0, 1);

    internal LogFollower(LogFeed feed, Guid tenantId)
    {
        this.feed = feed;
        TenantId = tenantId;
    }

    public Guid TenantId { get; }

    internal void Wake()
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake: one look reads everything committed.
        }
    }

    /// <summary>Waits to be woken, or until <paramref name="timeout"/>.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);

    public void Dispose()
    {
        feed.Remove(this);
        signal.Dispose();
    }
}
