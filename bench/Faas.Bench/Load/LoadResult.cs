using HdrHistogram;

namespace Faas.Bench.Load;

/// <summary>What one scenario measured: completed calls, errors, elapsed time and the latency histogram (µs).</summary>
public sealed record LoadResult(string Scenario, int Concurrency, long Calls, long Errors, TimeSpan Elapsed, LongHistogram Latency)
{
    public double Throughput => Calls / Elapsed.TotalSeconds;

    public double PercentileMillis(double percentile) => Latency.GetValueAtPercentile(percentile) / 1000.0;
}
