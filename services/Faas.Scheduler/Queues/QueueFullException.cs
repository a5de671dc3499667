namespace Faas.Scheduler.Queues;

/// <summary>No room for the invocation now; the caller should come back after <see cref="RetryAfter"/>.</summary>
public class QueueFullException : Exception
{
    /// <summary>The function's queue is full.</summary>
    public QueueFullException(string function, int depth, TimeSpan retryAfter)
        : this($"The queue of function '{function}' is full ({depth} waiting); retry after {retryAfter.TotalSeconds:0} s.", retryAfter)
    {
    }

    protected QueueFullException(string message, TimeSpan retryAfter)
        : base(message)
    {
        RetryAfter = retryAfter;
    }

    public TimeSpan RetryAfter { get; }
}

/// <summary>The tenant has as many executions in the scheduler as its quota allows.</summary>
public sealed class TenantConcurrencyExceededException(int limit)
    : QueueFullException($"The tenant's quota of {limit} concurrent executions is used up; retry after 1 s.", TimeSpan.FromSeconds(1))
{
    public int Limit { get; } = limit;
}
