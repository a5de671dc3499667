namespace Faas.Wasm.Options;

/// <summary>Settings of a worker, bound from the <c>Worker</c> configuration section.</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>Identifies this worker in results and status; defaults to host name and process id.</summary>
    public string WorkerId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>
    /// Executions admitted at once; further calls wait for a slot. The scheduler places and leases by slots, so they are
    /// what a worker offers in flight, not its cores: a run that waits (a guest's sleep, a host call) holds a slot without
    /// using a core, and a slot also stays taken while its result travels back and the next call comes. The default,
    /// <see cref="SlotsPerCore"/> per processor (at most the engine's pooled instances), keeps the cores busy on short calls; runs beyond the cores share them.
    /// </summary>
    public int Slots { get; set; } = Math.Min(SlotsPerCore * Environment.ProcessorCount, Faas.Wasm.Engines.WasmEngineFactory.PooledInstances);

    /// <summary>Slots per processor when <see cref="Slots"/> is not set.</summary>
    public const int SlotsPerCore = 8;

    /// <summary>Folder of precompiled modules (<c>&lt;sha256&gt;.cwasm</c>), shared by the workers of a machine.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "faas", "modules");

    /// <summary>Most bytes a function may write to stdout; writing more fails the run.</summary>
    public int MaxOutputBytes { get; set; } = 6 * 1024 * 1024;

    /// <summary>How much of the end of a function's stderr is returned with its result.</summary>
    public int StderrTailBytes { get; set; } = 4 * 1024;

    /// <summary>
    /// How much of the start of a function's stderr is returned, line by line, for its log; the bytes past it are
    /// counted and the log says so. 0 turns log capture off.
    /// </summary>
    public int LogBytesPerExecution { get; set; } = 64 * 1024;

    /// <summary>Compiled modules kept in memory; the least recently used beyond this are dropped.</summary>
    public int MaxCachedModules { get; set; } = 256;

    /// <summary>Timeout of a function whose spec does not set one.</summary>
    public int DefaultTimeoutMs { get; set; } = 30_000;

    /// <summary>Memory limit of a function whose spec does not set one.</summary>
    public int DefaultMemoryMb { get; set; } = 128;
}
