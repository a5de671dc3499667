namespace Faas.Wasm.Execution;

/// <summary>What a run produced.</summary>
public sealed record ExecutionResult
{
    public required ExecutionOutcome Outcome { get; init; }

    /// <summary>What the function wrote to stdout.</summary>
    public ReadOnlyMemory<byte> Output { get; init; }

    public int ExitCode { get; init; }

    /// <summary>Why the run did not end <see cref="ExecutionOutcome.Ok"/>; null when it did.</summary>
    public string? Error { get; init; }

    /// <summary>The end of what the function wrote to stderr.</summary>
    public string StderrTail { get; init; } = "";

    /// <summary>The head of stderr, line by line (see <see cref="Options.WorkerOptions.LogBytesPerExecution"/>).</summary>
    public IReadOnlyList<CapturedLine> Log { get; init; } = [];

    /// <summary>Bytes of stderr past the log's cap.</summary>
    public long LogDroppedBytes { get; init; }

    /// <summary>Time spent instantiating and running the function.</summary>
    public long RunMicros { get; init; }

    /// <summary>Whether the module had to be loaded (from disk or the module source) for this run.</summary>
    public bool Cold { get; init; }

    public bool IsOk => Outcome == ExecutionOutcome.Ok;
}
