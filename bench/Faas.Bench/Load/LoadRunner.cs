using System.Diagnostics;
using HdrHistogram;

namespace Faas.Bench.Load;

/// <summary>
/// Closed-loop load: <c>concurrency</c> callers each issue the next call as soon as the previous one
/// returns (or, with a <c>pause</c>, that long after it; the pause is not measured), for a warm-up (discarded) and
/// then a measured period. Bounded in time; stops by itself. With a <see cref="CpuMeter"/>, the measured period's
/// CPU time of the processes it watches is part of the result; the load generator's own CPU time always is.
/// </summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        string scenario, int concurrency, TimeSpan warmup, TimeSpan duration, Func<CancellationToken, Task> call, CancellationToken cancellationToken,
        TimeSpan pause = default, CpuMeter? cpu = null)
    {
        await RunPhaseAsync(concurrency, warmup, call, null, pause, cancellationToken).ConfigureAwait(false);

        var histograms = Enumerable.Range(0, concurrency).Select(_ => new LongHistogram(TimeStamp.Minutes(1), 3)).ToArray();
        var window = cpu?.Start();
        using var self = Process.GetCurrentProcess();
        var ownBefore = self.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var (calls, errors) = await RunPhaseAsync(concurrency, duration, call, histograms, pause, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var usage = window?.Stop();
        self.Refresh();
        var own = self.TotalProcessorTime - ownBefore;

        var total = new LongHistogram(TimeStamp.Minutes(1), 3);
        foreach (var histogram in histograms)
        {
            total.Add(histogram);
        }

        return new LoadResult(scenario, concurrency, calls, errors, elapsed, total) { Cpu = usage, LoadGeneratorCpu = own };
    }

    private static async Task<(long Calls, long Errors)> RunPhaseAsync(
        int concurrency, TimeSpan duration, Func<CancellationToken, Task> call, LongHistogram[]? histograms, TimeSpan pause, CancellationToken cancellationToken)
    {
        long calls = 0, errors = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var histogram = histograms?[worker];
            while (Stopwatch.GetTimestamp() < stopAt && !cancellationToken.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    await call(cancellationToken).ConfigureAwait(false);
                    histogram?.RecordValue((long)Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    Interlocked.Increment(ref calls);
                }
                catch (Exception) when (!cancellationToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref errors);
                }

                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                }
            }
        }, cancellationToken))).ConfigureAwait(false);
        return (calls, errors);
    }
}
