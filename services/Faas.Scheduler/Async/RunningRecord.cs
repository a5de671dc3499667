namespace Faas.Scheduler.Async;

/// <summary>
/// An attempt's <c>RUNNING</c> transition, posted (to the execution journal) once the attempt has run for
/// <see cref="AsyncOptions.RunningRecordDelay"/>. An attempt that ends sooner is recorded once, by its outcome, which
/// carries the same attempt record (start, worker) and more: a third fewer database writes for short functions.
/// </summary>
internal sealed class RunningRecord
{
    private readonly ITimer? timer;
    private Task posted = Task.CompletedTask;

    /// <param name="post">Hands the transition over; completes at once unless the journal's backlog is full.</param>
    public RunningRecord(Func<ValueTask> post, TimeSpan delay, TimeProvider timeProvider)
    {
        if (delay <= TimeSpan.Zero)
        {
            posted = post().AsTask();
            return;
        }

        timer = timeProvider.CreateTimer(_ => posted = post().AsTask(), null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The attempt ended: no post from now on. Completes when the post, if one was made, has been handed over (at once,
    /// unless the journal's backlog is full).
    /// </summary>
    public async Task SettleAsync()
    {
        if (timer is not null)
        {
            await timer.DisposeAsync().ConfigureAwait(false); // waits for a post already under way
        }

        await posted.ConfigureAwait(false);
    }
}
