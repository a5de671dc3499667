namespace Faas.Wasm.Execution;

/// <summary>How a function run ended. Function failures are outcomes, not exceptions.</summary>
public enum ExecutionOutcome
{
    /// <summary>Returned from <c>_start</c> or called <c>proc_exit(0)</c>.</summary>
    Ok,

    /// <summary>Called <c>proc_exit</c> with a non-zero code.</summary>
    ExitedNonZero,

    /// <summary>Trapped (unreachable, out-of-bounds access, stack overflow, output over the limit, ...).</summary>
    Trapped,

    /// <summary>Interrupted at its timeout.</summary>
    Timeout,

    /// <summary>Failed at its memory limit.</summary>
    OutOfMemory,

    /// <summary>Could not be instantiated (missing import, no <c>_start</c>, pool exhausted).</summary>
    InstantiationFailed,
}
