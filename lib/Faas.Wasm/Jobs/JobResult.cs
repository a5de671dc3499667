using Faas.Wasm.Execution;

namespace Faas.Wasm.Jobs;

/// <summary>What the job runner writes to its stdout when the function has run, as one JSON document.</summary>
public sealed record JobResult
{
    public required ExecutionOutcome Outcome { get; init; }

    /// <summary>The function's stdout.</summary>
    public byte[] Output { get; init; } = [];

    public int ExitCode { get; init; }

    public string? Error { get; init; }

    public string StderrTail { get; init; } = "";

    /// <summary>The head of stderr, line by line, for the function's log.</summary>
    public IReadOnlyList<CapturedLine> Log { get; init; } = [];

    /// <summary>Bytes of stderr past the log's cap.</summary>
    public long LogDroppedBytes { get; init; }

    public long RunMicros { get; init; }

    public static JobResult From(ExecutionResult result) => new()
    {
        Outcome = result.Outcome,
        Output = result.Output.ToArray(),
        ExitCode = result.ExitCode,
        Error = result.Error,
        StderrTail = result.StderrTail,
        Log = result.Log,
        LogDroppedBytes = result.LogDroppedBytes,
        RunMicros = result.RunMicros,
    };
}
