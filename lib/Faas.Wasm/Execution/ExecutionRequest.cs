namespace Faas.Wasm.Execution;

/// <summary>One invocation of a function version.</summary>
public sealed record ExecutionRequest
{
    /// <summary>sha256 (lower-case hex) of the module to run.</summary>
    public required string ModuleSha256 { get; init; }

    /// <summary>The function's name: <c>argv[0]</c> and <c>FAAS_FUNCTION</c>.</summary>
    public required string FunctionName { get; init; }

    public uint Version { get; init; }

    /// <summary>The function's stdin.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>Wall-clock limit of the run; 0 means the worker's default.</summary>
    public int TimeoutMs { get; init; }

    /// <summary>Linear memory limit; 0 means the worker's default.</summary>
    public int MemoryMb { get; init; }

    /// <summary>The function's configured environment variables (the platform's <c>FAAS_*</c> ones win).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = EmptyEnvironment;

    public string ExecutionId { get; init; } = "";

    public string TraceId { get; init; } = "";

    private static readonly IReadOnlyDictionary<string, string> EmptyEnvironment = new Dictionary<string, string>();
}
