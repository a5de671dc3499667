namespace Faas.Wasm.Jobs;

/// <summary>
/// What the job runner runs, written by a job launcher as <see cref="JobFiles.Request"/> next to the
/// payload and the precompiled module. The payload travels as its own file, never inside this document.
/// </summary>
public sealed record JobRequest
{
    public required string FunctionName { get; init; }

    public uint Version { get; init; }

    public string ExecutionId { get; init; } = "";

    public string TraceId { get; init; } = "";

    public int TimeoutMs { get; init; }

    public int MemoryMb { get; init; }

    /// <summary>sha256 of the module the precompiled file was made from.</summary>
    public required string ModuleSha256 { get; init; }

    public Dictionary<string, string> Environment { get; init; } = [];
}
