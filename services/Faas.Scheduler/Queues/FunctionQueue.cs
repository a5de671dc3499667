namespace Faas.Scheduler.Queues;

/// <summary>
/// One function's bounded queue in front of its concurrency limit. An invocation runs at once when a
/// slot is free, waits (FIFO) while the queue has room, and is rejected when it is full. Limits follow
/// the latest version's configuration.
/// </summary>
public sealed class FunctionQueue
{
    private readonly Lock gate = new();
    private readonly LinkedList<TaskCompletionSource<Slot>> waiters = new();
    private int running;
    private int maxConcurrency;
    private int capacity;
    private double averageRunMillis = 10;

    public FunctionQueue(string key, int maxConcurrency, int capacity)
    {
        Key = key;
        this.maxConcurrency = maxConcurrency;
        this.capacity = capacity;
    }

    public string Key { get; }

    public int Running { get { lock (gate) { return running; } } }

    public int Waiting { get { lock (gate) { return waiters.Count; } } }

    /// <summary>Whether an invocation arriving now would wait (every slot taken, or others already waiting); read without the lock, a hint.</summary>
    public bool Saturated => Volatile.Read(ref running) >= Volatile.Read(ref maxConcurrency) || waiters.Count > 0;

    public void UpdateLimits(int newMaxConcurrency, int newCapacity)
    {
        if (Volatile.Read(ref maxConcurrency) == newMaxConcurrency && Volatile.Read(ref capacity) == newCapacity)
        {
            return;
        }

        lock (gate)
        {
            maxConcurrency = newMaxConcurrency;
            capacity = newCapacity;
            ReleaseWaitersLocked();
        }
    }

    /// <summary>Waits for a slot. Throws <see cref="QueueFullException"/> when the queue is full.</summary>
    public ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<Slot> waiter;
        LinkedListNode<TaskCompletionSource<Slot>> node;
        lock (gate)
        {
            if (running < maxConcurrency && waiters.Count == 0)
            {
                running++;
                return ValueTask.FromResult(new Slot(this));
            }

            if (waiters.Count >= capacity)
            {
                throw new QueueFullException(Key, waiters.Count, RetryAfterLocked());
            }

            waiter = new TaskCompletionSource<Slot>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = waiters.AddLast(waiter);
        }

        return new ValueTask<Slot>(WaitAsync(waiter, node, cancellationToken));
    }

    private async Task<Slot> WaitAsync(TaskCompletionSource<Slot> waiter, LinkedListNode<TaskCompletionSource<Slot>> node, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            lock (gate)
            {
                if (node.List is null)
                {
                    return; // already granted
                }

                waiters.Remove(node);
            }

            waiter.TrySetCanceled(cancellationToken);
        }).ConfigureAwait(false))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    private void Release(double runMillis)
    {
        lock (gate)
        {
            running--;
            averageRunMillis = (averageRunMillis * 0.9) + (runMillis * 0.1);
            ReleaseWaitersLocked();
        }
    }

    private void ReleaseWaitersLocked()
    {
        while (running < maxConcurrency && waiters.First is { } first)
        {
            waiters.RemoveFirst();
            running++;
            first.Value.TrySetResult(new Slot(this));
        }
    }

    /// <summary>When a rejected caller may find room: the time to drain the queue, at least a second.</summary>
    private TimeSpan RetryAfterLocked()
    {
        var drainMillis = averageRunMillis * (waiters.Count + 1) / Math.Max(1, maxConcurrency);
        return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(drainMillis / 1000), 1, 60));
    }

    /// <summary>A held concurrency slot; disposing it hands the slot to the next waiter.</summary>
    public sealed class Slot(FunctionQueue queue)
    {
        private readonly long enteredAt = System.Diagnostics.Stopwatch.GetTimestamp();
        private int released;

        public void Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                queue.Release(System.Diagnostics.Stopwatch.GetElapsedTime(enteredAt).TotalMilliseconds);
            }
        }
    }
}
