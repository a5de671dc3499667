namespace Faas.ServiceDefaults.Retries;

/// <summary>
/// The platform's one backoff: capped exponential with "equal jitter" (half the delay fixed, half random), so retries
/// spread out and never come early. <see cref="Delay"/> for an attempt number kept elsewhere (a queue message's
/// deliveries); an instance for a loop that counts its own failures and starts over after a success.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int failures;

    /// <summary>The pause before attempt <paramref name="attempt"/> + 1: <paramref name="baseDelay"/> × 2^(attempt − 1), capped at <paramref name="maxDelay"/>, jittered.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempt);
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        var jittered = (capped / 2) + ((random ?? Random.Shared).NextDouble() * capped / 2);
        return TimeSpan.FromMilliseconds(jittered);
    }

    /// <summary>The pause after one more failure.</summary>
    public TimeSpan Next() => Delay(Math.Min(++failures, 31), initial, max);

    /// <summary>A success: the next failure waits the initial delay again.</summary>
    public void Reset() => failures = 0;
}
