using System.Diagnostics;
using HdrHistogram;
using Spectre.Console;

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

    /// <summary>
    /// Measures every scenario at one concurrency in <see cref="BenchOptions.Slices"/> slices taken in turn (each with its
    /// share of the warm-up and of the measured period), so that a stretch in which the machine is faster or slower weighs
    /// on all of them alike; each scenario's slices are merged into one result, in the scenarios' order.
    /// </summary>
    /// <param name="progress">What the progress lines start with (e.g. the run).</param>
    public static async Task<IReadOnlyList<LoadResult>> RunInTurnsAsync(
        IReadOnlyList<(string Name, Func<CancellationToken, Task> Call)> scenarios, int concurrency, BenchOptions options, string progress,
        CpuMeter? cpu, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(options);
        var slices = scenarios.Select(_ => new List<LoadResult>()).ToArray();
        var (warmup, duration) = (options.Warmup / options.Slices, options.Duration / options.Slices);
        for (var slice = 1; slice <= options.Slices; slice++)
        {
            for (var i = 0; i < scenarios.Count; i++)
            {
                var (name, call) = scenarios[i];
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(progress)}{Markup.Escape(name)} at concurrency {concurrency}" +
                    $"{(options.Slices > 1 ? $", slice {slice} of {options.Slices}" : "")}…[/]");
                slices[i].Add(await RunAsync(name, concurrency, warmup, duration, call, cancellationToken, cpu: cpu).ConfigureAwait(false));
            }
        }

        return [.. slices.Select(LoadResult.Merge)];
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
