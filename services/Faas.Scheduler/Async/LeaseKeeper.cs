using Faas.Queues;

namespace Faas.Scheduler.Async;

/// <summary>
/// Renews a lease every third of its duration until disposed, so a long run keeps its message. Disposing stops the
/// timer, which ends the renewal's wait with <c>false</c> rather than with a cancellation exception: one exception per
/// message (its stack trace captured as text) had cost the consumer more CPU than the rest of its work.
/// </summary>
internal sealed class LeaseKeeper : IDisposable
{
    private readonly PeriodicTimer timer;

    public LeaseKeeper(ReliableQueue queue, LeasedMessage message, TimeSpan duration, TimeProvider timeProvider)
    {
        timer = new PeriodicTimer(duration / 3, timeProvider);
        _ = RenewAsync(timer, queue, message, duration);
    }

    public void Dispose() => timer.Dispose();

    private static async Task RenewAsync(PeriodicTimer timer, ReliableQueue queue, LeasedMessage message, TimeSpan duration)
    {
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
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
}
