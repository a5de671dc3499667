namespace Faas.Sinks.Client;

/// <summary>
/// The memory of functions running at once stays within a capacity (MiB). A function larger than the whole
/// capacity runs alone rather than never.
/// </summary>
internal sealed class MemoryBudget(int capacity)
{
    private readonly Lock sync = new();
    private readonly LinkedList<(int Mb, TaskCompletionSource Ready)> waiters = new();
    private int used;

    public int Used
    {
        get
        {
            lock (sync)
            {
                return used;
            }
        }
    }

    public async Task WaitAsync(int mb, CancellationToken cancellationToken)
    {
        LinkedListNode<(int Mb, TaskCompletionSource Ready)> node;
        lock (sync)
        {
            if (waiters.Count == 0 && Fits(mb))
            {
                used += mb;
                return;
            }

            node = waiters.AddLast((mb, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }

        try
        {
            await node.Value.Ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (sync)
            {
                if (node.List is not null)
                {
                    waiters.Remove(node);
                    throw;
                }
            }

            // Granted as it was cancelled: give it back.
            Release(mb);
            throw;
        }
    }

    public void Release(int mb)
    {
        lock (sync)
        {
            used = Math.Max(0, used - mb);
            // First come, first served: a large waiter is not overtaken by smaller ones forever.
            while (waiters.First is { } first && Fits(first.Value.Mb))
            {
                waiters.RemoveFirst();
                used += first.Value.Mb;
                first.Value.Ready.TrySetResult();
            }
        }
    }

    private bool Fits(int mb) => used == 0 || used + mb <= capacity;
}
