using Faas.Scheduler.Async;
using Microsoft.Extensions.Time.Testing;

namespace Faas.Scheduler.Tests;

public class RunningRecordTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);
    private readonly FakeTimeProvider time = new();
    private int posts;

    [Fact]
    public async Task An_attempt_that_ends_before_the_delay_posts_nothing_then_or_later()
    {
        var record = new RunningRecord(Post, Delay, time);
        time.Advance(Delay - TimeSpan.FromMilliseconds(1));

        await record.SettleAsync();
        time.Advance(Delay * 10);

        Assert.Equal(0, posts);
    }

    [Fact]
    public async Task An_attempt_that_outlasts_the_delay_posts_once()
    {
        var record = new RunningRecord(Post, Delay, time);
        time.Advance(Delay);
        time.Advance(Delay * 10);

        await record.SettleAsync();

        Assert.Equal(1, posts);
    }

    [Fact]
    public async Task Settling_waits_for_a_post_the_journal_has_not_taken_yet()
    {
        var taken = new TaskCompletionSource();
        var record = new RunningRecord(() => new ValueTask(taken.Task), Delay, time);
        time.Advance(Delay);

        var settled = record.SettleAsync();
        Assert.False(settled.IsCompleted);
        taken.SetResult();

        await settled;
    }

    [Fact]
    public async Task Without_a_delay_the_attempt_posts_at_once()
    {
        var record = new RunningRecord(Post, TimeSpan.Zero, time);

        Assert.Equal(1, posts);
        await record.SettleAsync();
        Assert.Equal(1, posts);
    }

    private ValueTask Post()
    {
        posts++;
        return ValueTask.CompletedTask;
    }
}
