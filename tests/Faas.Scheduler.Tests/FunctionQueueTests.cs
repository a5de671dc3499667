using Faas.Scheduler.Queues;

namespace Faas.Scheduler.Tests;

public class FunctionQueueTests
{
    [Fact]
    public async Task Invocations_run_at_once_while_slots_are_free()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 2, capacity: 0);

        var first = queue.EnterAsync(CancellationToken.None);
        var second = queue.EnterAsync(CancellationToken.None);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully);
        Assert.Equal(2, queue.Running);
        (await first).Release();
        (await second).Release();
        Assert.Equal(0, queue.Running);
    }

    [Fact]
    public async Task Invocation_waits_for_a_slot_and_gets_it_when_one_is_released()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 1, capacity: 1);
        var held = await queue.EnterAsync(CancellationToken.None);

        var waiting = queue.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, queue.Waiting);

        held.Release();
        var granted = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, queue.Running);
        Assert.Equal(0, queue.Waiting);
        granted.Release();
    }

    [Fact]
    public async Task Full_queue_rejects_with_a_retry_after_of_at_least_one_second()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 1, capacity: 1);
        var held = await queue.EnterAsync(CancellationToken.None);
        var waiting = queue.EnterAsync(CancellationToken.None).AsTask();

        var rejected = Assert.Throws<QueueFullException>(() => { _ = queue.EnterAsync(CancellationToken.None); });

        Assert.True(rejected.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.Contains("full", rejected.Message);
        held.Release();
        (await waiting).Release();
    }

    [Fact]
    public async Task Waiters_are_served_in_arrival_order()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 1, capacity: 10);
        var held = await queue.EnterAsync(CancellationToken.None);
        var order = new List<int>();
        var waiters = Enumerable.Range(0, 5).Select(i => queue.EnterAsync(CancellationToken.None).AsTask().ContinueWith(t =>
        {
            lock (order)
            {
                order.Add(i);
            }

            return t.Result;
        }, TaskScheduler.Default)).ToList();

        held.Release();
        foreach (var waiter in waiters)
        {
            (await waiter.WaitAsync(TimeSpan.FromSeconds(5))).Release();
        }

        Assert.Equal([0, 1, 2, 3, 4], order);
    }

    [Fact]
    public async Task Cancelled_waiter_leaves_the_queue_and_loses_no_slot()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 1, capacity: 1);
        var held = await queue.EnterAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var waiting = queue.EnterAsync(cts.Token).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, queue.Waiting);

        held.Release();
        Assert.Equal(0, queue.Running);
        var next = queue.EnterAsync(CancellationToken.None);
        Assert.True(next.IsCompletedSuccessfully);
        (await next).Release();
    }

    [Fact]
    public async Task Releasing_a_slot_twice_frees_it_once()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 2, capacity: 0);
        var a = await queue.EnterAsync(CancellationToken.None);
        var b = await queue.EnterAsync(CancellationToken.None);

        a.Release();
        a.Release();

        Assert.Equal(1, queue.Running);
        b.Release();
    }

    [Fact]
    public async Task Raising_the_concurrency_limit_admits_waiters_at_once()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 1, capacity: 5);
        var held = await queue.EnterAsync(CancellationToken.None);
        var waiting = queue.EnterAsync(CancellationToken.None).AsTask();

        queue.UpdateLimits(newMaxConcurrency: 2, newCapacity: 5);

        (await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Release();
        held.Release();
    }

    [Fact]
    public async Task Many_concurrent_callers_never_exceed_the_limit()
    {
        var queue = new FunctionQueue("f", maxConcurrency: 3, capacity: 1000);
        var running = 0;
        var peak = 0;
        await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            var slot = await queue.EnterAsync(CancellationToken.None);
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Yield();
            Interlocked.Decrement(ref running);
            slot.Release();
        }));

        Assert.InRange(peak, 1, 3);
        Assert.Equal(0, queue.Running);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
