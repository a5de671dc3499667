using Faas.Wasm.Execution;

namespace Faas.JobSink.Jobs;

/// <summary>How a container run ended: the function's result, or the launcher's own verdict (timeout or memory kill from outside).</summary>
public sealed record JobRun
{
    public required ExecutionOutcome Outcome { get; init; }

    public ReadOnlyMemory<byte> Output { get; init; }

    public int ExitCode { get; init; }

    public string? Error { get; init; }

    public string StderrTail { get; init; } = "";

    /// <summary>The head of the function's stderr, line by line (empty when the runtime never reported).</summary>
    public IReadOnlyList<CapturedLine> Log { get; init; } = [];

    /// <summary>Bytes of stderr past the log's cap.</summary>
    public long LogDroppedBytes { get; init; }

    /// <summary>Time in the function, as the runtime measured it (0 when it never reported).</summary>
    public long RunMicros { get; init; }

    /// <summary>The container (or Job) name, e.g. <c>faas-job-…</c>.</summary>
    public required string Container { get; init; }

    /// <summary>Whether the container was created ahead of the invocation (<see cref="Oci.PreparedContainers"/>) rather than for it.</summary>
    public bool Prepared { get; init; }
}
