namespace Faas.Scheduler.Queues;

/// <summary>A function's queue has no room; the caller should come back after <see cref="RetryAfter"/>.</summary>
public sealed class QueueFullException(string function, int depth, TimeSpan retryAfter)
    : Exception($"The queue of function '{function}' is full ({depth} waiting); retry after {retryAfter.TotalSeconds:0} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
