namespace Faas.JobSink.Jobs;

/// <summary>One JOB-mode invocation, as a launcher sees it.</summary>
public sealed record JobInvocation
{
    public required string ExecutionId { get; init; }

    public string TraceId { get; init; } = "";

    public required string FunctionName { get; init; }

    public string FunctionId { get; init; } = "";

    public uint Version { get; init; }

    public required string ModuleSha256 { get; init; }

    public int TimeoutMs { get; init; }

    public int MemoryMb { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The function's unsealed secrets, for the run's environment only (never logged, never kept).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    public ReadOnlyMemory<byte> Payload { get; init; }
}
