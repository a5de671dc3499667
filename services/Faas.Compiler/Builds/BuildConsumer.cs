using Faas.Queues;
using Faas.ServiceDefaults.Retries;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Faas.Compiler.Builds;

/// <summary>
/// Takes builds off the "builds" queue, <see cref="BuildServiceOptions.MaxParallelBuilds"/> at a time (one
/// consumer loop each), holds each lease while the build runs, acks when its outcome is recorded, and gives it
/// back (with a growing delay) when recording failed, so nothing is lost.
/// </summary>
public sealed partial class BuildConsumer(
    BuildQueue buildQueue, BuildProcessor processor, IOptions<BuildServiceOptions> options, TimeProvider timeProvider, ILogger<BuildConsumer> logger)
    : BackgroundService
{
    private readonly BuildServiceOptions options = options.Value;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.MaxParallelBuilds)
            .Select(i => Task.Run(() => ConsumeAsync($"{Environment.MachineName}:{Environment.ProcessId}:{i}", stoppingToken), CancellationToken.None)));

    private async Task ConsumeAsync(string consumer, CancellationToken stoppingToken)
    {
        var queue = buildQueue.Queue;
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<LeasedMessage> leased;
            try
            {
                leased = await queue.LeaseWhenAvailableAsync(consumer, 1, options.LeaseDuration, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                LogQueueUnavailable(logger, exception.Message);
                await DelayAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                continue;
            }

            foreach (var message in leased)
            {
                await HandleAsync(queue, message, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HandleAsync(ReliableQueue queue, LeasedMessage message, CancellationToken stoppingToken)
    {
        if (BuildTicket.Parse(message.Payload) is not { } ticket)
        {
            LogMalformed(logger, message.Id);
            await SettleAsync(() => queue.AckAsync(message.Id, message.LeaseToken)).ConfigureAwait(false);
            return;
        }

        using var holding = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewLeaseAsync(queue, message, holding.Token);
        try
        {
            await processor.ProcessAsync(ticket, message.Attempt, stoppingToken).ConfigureAwait(false);
            await holding.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            await SettleAsync(() => queue.AckAsync(message.Id, message.LeaseToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: hand the build back at once, so another compiler (or this one restarted) takes it.
            await SettleAsync(() => queue.NackAsync(message.Id, message.LeaseToken)).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            var delay = Backoff.Delay(message.Attempt, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
            LogRetrying(logger, exception, ticket.FunctionId, ticket.Version, delay.TotalSeconds);
            await SettleAsync(() => queue.NackAsync(message.Id, message.LeaseToken, delay)).ConfigureAwait(false);
        }
        finally
        {
            await holding.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }
    }

    /// <summary>Keeps the lease while the build runs (a build may take longer than one lease).</summary>
    private async Task RenewLeaseAsync(ReliableQueue queue, LeasedMessage message, CancellationToken holding)
    {
        using var timer = new PeriodicTimer(options.LeaseDuration / 3, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(holding).ConfigureAwait(false))
            {
                if (!await queue.ExtendLeaseAsync(message.Id, message.LeaseToken, options.LeaseDuration).ConfigureAwait(false))
                {
                    // Another compiler has it now; recording the outcome is idempotent, so both may finish.
                    LogLeaseLost(logger, message.Id);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogQueueUnavailable(logger, exception.Message);
        }
    }

    /// <summary>An ack or nack that fails leaves the lease to expire: the reaper redelivers, and the build is found finished or retried.</summary>
    private async Task SettleAsync(Func<Task<bool>> settle)
    {
        try
        {
            await settle().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogQueueUnavailable(logger, exception.Message);
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Build queue unavailable: {Reason}")]
    private static partial void LogQueueUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Dropping malformed build message {Id}")]
    private static partial void LogMalformed(ILogger logger, string id);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Build of {FunctionId} version {Version} could not be recorded; retrying in {DelaySeconds} s")]
    private static partial void LogRetrying(ILogger logger, Exception exception, Guid functionId, int version, double delaySeconds);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Lost the lease of build message {Id} while building")]
    private static partial void LogLeaseLost(ILogger logger, string id);
}
