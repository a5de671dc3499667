using System.Diagnostics;

namespace Faas.Storage.Tests;

/// <summary>Awaits a condition with a deadline instead of sleeping and hoping.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(15);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="condition"/> holds; throws naming <paramref name="what"/> after the deadline.</summary>
    public static async Task<T> MatchesAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = within ?? DefaultDeadline;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (Stopwatch.GetElapsedTime(started) > deadline)
            {
                throw new TimeoutException($"Expected {what} within {deadline.TotalSeconds:0.#} s; last seen: {value}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    }

    public static Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null) =>
        MatchesAsync(condition, holds => holds, what, within);

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        MatchesAsync(() => Task.FromResult(condition()), holds => holds, what, within);
}
