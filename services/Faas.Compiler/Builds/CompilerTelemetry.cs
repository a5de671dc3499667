using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Faas.Compiler.Builds;

/// <summary>The compiler's traces (a span per build, child of the deploy that queued it) and metrics, both named "Faas.Compiler".</summary>
public sealed class CompilerTelemetry
{
    public const string Name = "Faas.Compiler";

    private static readonly InstrumentAdvice<double> DurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300],
    };

    private readonly Counter<long> builds;
    private readonly Histogram<double> duration;
    private readonly Histogram<double> queueWait;
    private readonly UpDownCounter<long> running;

    public CompilerTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        builds = meter.CreateCounter<long>("faas.compiler.builds", "{build}", "Finished builds, by language and outcome (succeeded, cache_hit, failed, timed_out, ...).");
        duration = meter.CreateHistogram<double>("faas.compiler.build.duration", "s", "Time from a compiler taking a build to its outcome being recorded.", tags: null, advice: DurationBuckets);
        queueWait = meter.CreateHistogram<double>("faas.compiler.build.queue_wait", "s", "Time a build waited in the queue before a compiler took it.", tags: null, advice: DurationBuckets);
        running = meter.CreateUpDownCounter<long>("faas.compiler.builds.running", "{build}", "Builds being built now.");
    }

    public static ActivitySource Source { get; } = new(Name);

    public void Started(TimeSpan waited)
    {
        running.Add(1);
        queueWait.Record(Math.Max(0, waited.TotalSeconds));
    }

    /// <summary>A build started with <see cref="Started"/> is no longer running, however it ended.</summary>
    public void Stopped() => running.Add(-1);

    public void Finished(string language, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "language", language }, { "outcome", outcome } };
        builds.Add(1, tags);
        duration.Record(elapsed.TotalSeconds, tags);
    }
}
