using System.Diagnostics.Metrics;
using Faas.Wasm.Execution;

namespace Faas.Wasm.Diagnostics;

/// <summary>The execution core's instruments, on the <c>Faas.Wasm</c> meter.</summary>
public sealed class WasmMetrics
{
    // Warm runs take microseconds and long ones minutes; the default boundaries start at 5 ms.
    private static readonly InstrumentAdvice<double> RunDurationBuckets = new()
    {
        HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
    };

    public const string MeterName = "Faas.Wasm";

    private static readonly KeyValuePair<string, object?>[] OutcomeTags =
        Enum.GetValues<ExecutionOutcome>().Select(o => new KeyValuePair<string, object?>("outcome", OutcomeName(o))).ToArray();

    private readonly Counter<long> executions;
    private readonly Histogram<double> runDuration;
    private readonly UpDownCounter<long> inFlight;
    private readonly Counter<long> coldLoads;

    public WasmMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        executions = meter.CreateCounter<long>("faas.wasm.executions", "{execution}", "Function runs, by outcome.");
        runDuration = meter.CreateHistogram<double>("faas.wasm.run.duration", "s", "Time to instantiate and run a function.", tags: null, advice: RunDurationBuckets);
        inFlight = meter.CreateUpDownCounter<long>("faas.wasm.executions.in_flight", "{execution}", "Runs holding a slot.");
        coldLoads = meter.CreateCounter<long>("faas.wasm.module.cold_loads", "{module}", "Modules loaded into memory, by source (disk, precompiled artifact, or compiled from the module).");
    }

    /// <summary>The snake_case name used for an outcome in tags, logs and traces (as in the proto enum).</summary>
    public static string OutcomeName(ExecutionOutcome outcome) => outcome switch
    {
        ExecutionOutcome.Ok => "ok",
        ExecutionOutcome.ExitedNonZero => "exited_non_zero",
        ExecutionOutcome.Trapped => "trapped",
        ExecutionOutcome.Timeout => "timeout",
        ExecutionOutcome.OutOfMemory => "out_of_memory",
        ExecutionOutcome.InstantiationFailed => "instantiation_failed",
        _ => "unknown",
    };

    public void ExecutionStarted() => inFlight.Add(1);

    public void ExecutionFinished() => inFlight.Add(-1);

    public void ExecutionCompleted(ExecutionResult result)
    {
        var tag = OutcomeTags[(int)result.Outcome];
        executions.Add(1, tag);
        runDuration.Record(result.RunMicros / 1_000_000.0, tag);
    }

    public void ModuleLoaded(string source) => coldLoads.Add(1, new KeyValuePair<string, object?>("source", source));
}
