using Faas.Storage.Queues;

namespace Faas.Scheduler.Async;

/// <summary>Renews a lease every third of its duration until disposed, so a long run keeps its message.</summary>
internal sealed class LeaseKeeper : IDisposable
{
    private readonly CancellationTokenSource stop = new();

    public LeaseKeeper(ReliableQueue queue, LeasedMessage message, TimeSpan duration, TimeProvider timeProvider)
    {
        _ = RenewAsync(queue, message, duration, timeProvider, stop.Token);
    }

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
    }

    private static async Task RenewAsync(ReliableQueue queue, LeasedMessage message, TimeSpan duration, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(duration / 3, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    if (!await queue.ExtendLeaseAsync(message.Id, message.LeaseToken, duration).ConfigureAwait(false))
                    {
                        return; // lost already; the ack will say so
                    }
                }
                catch (StackExchange.Redis.RedisException)
                {
                    // Try again at the next tick; the lease has two more thirds to go.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
