using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Histogram boundaries for Faas latencies, which run from microseconds (a warm invoke) to minutes (a
/// long function): the OpenTelemetry defaults start at 5 ms and would put every warm invoke in one bucket.
/// </summary>
public static class LatencyBuckets
{
    public static readonly InstrumentAdvice<double> Milliseconds = new()
    {
        HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000],
    };
}
