namespace Faas.Scheduler.Async;

/// <summary>Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries spread out but never come early.</summary>
public static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempt);
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        var jittered = (capped / 2) + ((random ?? Random.Shared).NextDouble() * capped / 2);
        return TimeSpan.FromMilliseconds(jittered);
    }
}
