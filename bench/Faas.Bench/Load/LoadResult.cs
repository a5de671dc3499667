using HdrHistogram;

namespace Faas.Bench.Load;

/// <summary>What one scenario measured: completed calls, errors, elapsed time and the latency histogram (µs).</summary>
public sealed record LoadResult(string Scenario, int Concurrency, long Calls, long Errors, TimeSpan Elapsed, LongHistogram Latency)
{
    public double Throughput => Calls / Elapsed.TotalSeconds;

    public double PercentileMillis(double percentile) => Latency.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>The CPU time the measured processes spent in the measured period, when the run was given a <see cref="CpuMeter"/>.</summary>
    public CpuUsage? Cpu { get; init; }

    /// <summary>CPU microseconds per completed call: of every measured process, or of one kind of them.</summary>
    public double CpuMicrosPerCall(string? kind = null) =>
        Cpu is null || Calls == 0 ? 0 : (kind is null ? Cpu.Total : Cpu.Of(kind)).TotalMicroseconds / Calls;
}
