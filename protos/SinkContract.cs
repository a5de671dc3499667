namespace Faas.Protos.V1;

/// <summary>The rules of the sink contract both sides apply: what a sink can run, and the function's runtime.</summary>
public static class SinkContract
{
    /// <summary>The runtime of functions that name none.</summary>
    public const string DefaultRuntime = "wasm";

    /// <summary>JavaScript source, run as it is by sinks that list this runtime (such as the Node.js sample sink).</summary>
    public const string JavaScriptRuntime = "javascript";

    /// <summary>The runtime of a version deployed in <paramref name="language"/>: every language but JavaScript becomes WebAssembly.</summary>
    public static string RuntimeOfLanguage(string language) => language == JavaScriptRuntime ? JavaScriptRuntime : DefaultRuntime;

    /// <summary>Trailer on the sink manager's UNAVAILABLE for a task refused because no sink at all is online (nothing ran).</summary>
    public const string NoSinkTrailer = "faas-no-sink";

    /// <summary>The runtime the function needs: <c>wasm</c> unless it names another.</summary>
    public static string RuntimeName(this FunctionSpec function) => string.IsNullOrEmpty(function.Runtime) ? DefaultRuntime : function.Runtime;

    /// <summary>WARM when unspecified.</summary>
    public static ExecutionMode Normalized(this ExecutionMode mode) => mode == ExecutionMode.Unspecified ? ExecutionMode.Warm : mode;

    /// <summary>The largest function memory the sink takes, MiB: its <c>max_function_memory_mb</c>, at most its memory.</summary>
    public static long MaxFunctionMemoryMb(this SinkCapacity capacity) =>
        capacity.MaxFunctionMemoryMb == 0 ? capacity.MemoryMb : Math.Min(capacity.MaxFunctionMemoryMb, capacity.MemoryMb);

    /// <summary>Whether a sink of this capacity can run such a function at all (runtime, mode, memory), whatever its load.</summary>
    public static bool CanRun(this SinkCapacity capacity, string runtime, ExecutionMode mode, long memoryMb) =>
        capacity.Runtimes.Contains(runtime)
        && (capacity.Modes.Count == 0 ? mode.Normalized() == ExecutionMode.Warm : capacity.Modes.Contains(mode.Normalized()))
        && memoryMb <= capacity.MaxFunctionMemoryMb();
}
