using Faas.Queues;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Faas.Compiler.Builds;

/// <summary>
/// Queues again every unfinished build older than one <see cref="BuildServiceOptions.RecoveryInterval"/>: a
/// deploy whose enqueue failed after its version was written (Redis away) is built all the same. Queuing is
/// idempotent per build, so builds that are waiting or running are left as they are. The first sweep comes
/// one interval after start-up, when the gateway has migrated the schema of a new database.
/// </summary>
public sealed partial class BuildRecovery(
    BuildStore builds, BuildQueue queue, IOptions<BuildServiceOptions> options, TimeProvider timeProvider, ILogger<BuildRecovery> logger)
    : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RecoveryInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RecoverAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sweep; returns how many builds were queued again. Failures are logged and retried at the next sweep.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            var requeued = 0;
            var unfinished = await builds.ListUnfinishedAsync(timeProvider.GetUtcNow() - options.Value.RecoveryInterval, BatchSize, cancellationToken)
                .ConfigureAwait(false);
            foreach (var build in unfinished)
            {
                if (await queue.EnqueueAsync(new BuildTicket(build.FunctionId, build.Version)).ConfigureAwait(false))
                {
                    requeued++;
                    LogRequeued(logger, build.FunctionName, build.Version);
                }
            }

            return requeued;
        }
        catch (Exception exception) when (exception is NpgsqlException or RedisException or TimeoutException)
        {
            LogSweepFailed(logger, exception.Message);
            return 0;
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Queued {Function} version {Version} again: its build was not in the queue")]
    private static partial void LogRequeued(ILogger logger, string function, int version);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Sweep for unqueued builds failed; trying again next interval: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
