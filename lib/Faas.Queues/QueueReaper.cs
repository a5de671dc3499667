using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Queues;

/// <summary>
/// Every <see cref="ReliableQueueOptions.ReaperPeriod"/>, returns expired leases of every queue to ready,
/// promotes due delayed messages and refreshes the depth gauges. Several services may run it at once:
/// the scripts are atomic, so a lease is redelivered once.
/// </summary>
public sealed partial class QueueReaper(ReliableQueues queues, IOptions<ReliableQueueOptions> options, TimeProvider timeProvider, ILogger<QueueReaper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReaperPeriod, timeProvider);
        do
        {
            await ReapAllAsync().ConfigureAwait(false);
        }
        while (await WaitForNextTickAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One pass over every queue; failures are logged and retried on the next tick.</summary>
    public async Task ReapAllAsync()
    {
        try
        {
            foreach (var queue in await queues.ListAsync().ConfigureAwait(false))
            {
                var reaped = await queue.ReapExpiredAsync(timeProvider.GetUtcNow()).ConfigureAwait(false);
                if (reaped.Redelivered > 0)
                {
                    LogRedelivered(logger, reaped.Redelivered, queue.Name);
                }

                await queue.CountAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogReapFailed(logger, ex);
        }
    }

    private static async Task<bool> WaitForNextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Redelivering {Count} messages of queue {Queue} whose lease expired")]
    private static partial void LogRedelivered(ILogger logger, long count, string queue);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Reaping the queues failed; retrying next period")]
    private static partial void LogReapFailed(ILogger logger, Exception exception);
}
