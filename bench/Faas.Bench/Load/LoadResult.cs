using HdrHistogram;

namespace Faas.Bench.Load;

/// <summary>What one scenario measured: completed calls, errors, elapsed time and the latency histogram (µs).</summary>
public sealed record LoadResult(string Scenario, int Concurrency, long Calls, long Errors, TimeSpan Elapsed, LongHistogram Latency)
{
    public double Throughput => Calls / Elapsed.TotalSeconds;

    public double PercentileMillis(double percentile) => Latency.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>The CPU time the measured processes spent in the measured period, when the run was given a <see cref="CpuMeter"/>.</summary>
    public CpuUsage? Cpu { get; init; }

    /// <summary>
    /// CPU time of the load generator itself (this process: the callers, their clients and the bookkeeping) in the measured
    /// period. It shares the machine with what it measures, so it is part of what a call costs the machine.
    /// </summary>
    public TimeSpan LoadGeneratorCpu { get; init; }

    /// <summary>The load generator's CPU microseconds per completed call.</summary>
    public double LoadGeneratorMicrosPerCall => Calls == 0 ? 0 : LoadGeneratorCpu.TotalMicroseconds / Calls;

    /// <summary>CPU microseconds per completed call: of every measured process, or of one kind of them.</summary>
    public double CpuMicrosPerCall(string? kind = null) =>
        Cpu is null || Calls == 0 ? 0 : (kind is null ? Cpu.Total : Cpu.Of(kind)).TotalMicroseconds / Calls;

    /// <summary>
    /// The results of one scenario measured in several slices (interleaved with other scenarios) as one: calls, errors and
    /// time added, latencies merged, CPU time added by kind.
    /// </summary>
    public static LoadResult Merge(IReadOnlyList<LoadResult> slices)
    {
        if (slices.Count == 1)
        {
            return slices[0];
        }

        var latency = new LongHistogram(TimeStamp.Minutes(1), 3);
        foreach (var slice in slices)
        {
            latency.Add(slice.Latency);
        }

        var cpu = slices.All(s => s.Cpu is not null)
            ? new CpuUsage([.. slices[0].Cpu!.ByKind.Select(k => (k.Kind, TimeSpan.FromTicks(slices.Sum(s => s.Cpu!.Of(k.Kind).Ticks))))])
            : null;
        return new LoadResult(slices[0].Scenario, slices[0].Concurrency, slices.Sum(s => s.Calls), slices.Sum(s => s.Errors),
            TimeSpan.FromTicks(slices.Sum(s => s.Elapsed.Ticks)), latency)
        {
            Cpu = cpu,
            LoadGeneratorCpu = TimeSpan.FromTicks(slices.Sum(s => s.LoadGeneratorCpu.Ticks)),
        };
    }
}
