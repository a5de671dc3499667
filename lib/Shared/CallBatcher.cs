using System.Collections.Concurrent;

namespace Faas.Shared;

/// <summary>
/// Turns many concurrent calls into few round trips: a call joins a queue, and up to
/// <c>maxInFlight</c> flushes each take whatever is waiting (at most <c>maxBatch</c>) as one request.
/// An idle batcher sends a lone call at once, so batching costs no latency; under load a flush carries
/// everything that arrived while the previous one was on the wire (the way a database group-commits).
/// Shared source: compiled, internal, into each library that batches (Faas.Storage's execution journal, Faas.Queues' enqueues and acks).
/// </summary>
internal sealed class CallBatcher<TRequest, TResult>(
    Func<IReadOnlyList<TRequest>, Task<IReadOnlyList<TResult>>> flush, int maxBatch, int maxInFlight)
{
    private readonly ConcurrentQueue<Item> pending = new();
    private int flushing;

    public Task<TResult> SubmitAsync(TRequest request)
    {
        var item = new Item(request, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        pending.Enqueue(item);
        TryStartFlush();
        return item.Done.Task;
    }

    private void TryStartFlush()
    {
        while (!pending.IsEmpty)
        {
            var running = Volatile.Read(ref flushing);
            if (running >= maxInFlight)
            {
                return; // a running flush picks the call up when it loops
            }

            if (Interlocked.CompareExchange(ref flushing, running + 1, running) == running)
            {
                _ = FlushLoopAsync();
                return;
            }
        }
    }

    private async Task FlushLoopAsync()
    {
        try
        {
            var batch = new List<Item>(maxBatch);
            while (true)
            {
                batch.Clear();
                while (batch.Count < maxBatch && pending.TryDequeue(out var item))
                {
                    batch.Add(item);
                }

                if (batch.Count == 0)
                {
                    break;
                }

                try
                {
                    var results = await flush(batch.ConvertAll(b => b.Request)).ConfigureAwait(false);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Done.TrySetResult(results[i]);
                    }
                }
                catch (Exception ex)
                {
                    foreach (var item in batch)
                    {
                        item.Done.TrySetException(ex);
                    }
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref flushing);
        }

        TryStartFlush(); // a call that arrived between the last dequeue and the decrement
    }

    private sealed record Item(TRequest Request, TaskCompletionSource<TResult> Done);
}
