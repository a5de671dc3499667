namespace Faas.Sinks.Client;

/// <summary>Capped exponential backoff with jitter, reset by a success.</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    private int failures;

    public TimeSpan Next()
    {
        var exponent = Math.Min(failures++, 20);
        var delay = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        // ±20 % so sinks restarted together do not retry in step.
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(Math.Min(delay * jitter, max.TotalMilliseconds));
    }

    public void Reset() => failures = 0;
}
