using System.Reflection;
using System.Runtime.InteropServices;
using Wasmtime;

namespace Faas.Wasm.Engines;

/// <summary>
/// The one place that decides how the platform's Wasmtime engines are configured. Every engine the
/// platform creates (workers, the gateway's validator, the compiler's precompiler) must come
/// from here: a precompiled module only loads into an engine with the same code-generation settings.
/// </summary>
public static class WasmEngineFactory
{
    /// <summary>Largest linear memory a function may have; the upper bound of <c>memoryMb</c>.</summary>
    public const int MaxMemoryMb = 4096;

    /// <summary><see cref="MaxMemoryMb"/> in bytes.</summary>
    public static readonly long MaxMemoryBytes = MaxMemoryMb * 1024L * 1024L;

    /// <summary>Instances the pooling allocator pre-reserves; bounds concurrent executions per worker.</summary>
    public const int PooledInstances = 1000;

    /// <summary>Most elements a function's table may start with: the pooling allocator reserves this many per table.</summary>
    public const int MaxTableElements = 20_000;

    /// <summary>Tables a function may define.</summary>
    public const int MaxTablesPerModule = 1;

    /// <summary>Linear memories a function may define.</summary>
    public const int MaxMemoriesPerModule = 1;

    /// <summary>Most bytes of an instance's own state (its VMContext: globals, function references, imports) the pool reserves.</summary>
    public const int MaxInstanceStateBytes = 1024 * 1024;

    /// <summary>
    /// An engine for running functions: Cranelift, epoch interruption, and the pooling allocator, which
    /// makes instantiation a matter of reusing a pre-reserved slot (~20 µs per invocation instead of ~250 µs).
    /// Each memory slot reserves <see cref="MaxMemoryMb"/> of address space (virtual only), so keep one
    /// execution engine per process. It refuses to load a module beyond the per-module limits above.
    /// </summary>
    public static Engine CreateForExecution() => CreatePooled(PooledInstances);

    /// <summary>
    /// An engine with the execution engine's per-module limits and a pool of a single instance: a module it loads,
    /// the workers load. The function-contract validator checks modules against it, so what a worker refuses is
    /// refused at deploy, from the limits in this one place.
    /// </summary>
    public static Engine CreateForLimitCheck() => CreatePooled(1);

    private static Engine CreatePooled(uint instances)
    {
        using var pooling = new PoolingAllocationConfig()
            .WithMaxMemorySize(checked((nuint)MaxMemoryBytes))
            .WithMaxMemories(instances)
            .WithMaxTables(instances)
            .WithMaxCoreInstances(instances)
            .WithMaxMemoriesPerModule(MaxMemoriesPerModule)
            .WithMaxTablesPerModule(MaxTablesPerModule)
            .WithMaxTableElements(MaxTableElements)
            .WithMaxCoreInstanceSize(MaxInstanceStateBytes)
            // Small functions touch a few pages: resetting those with memset on reuse is cheaper than madvise.
            .WithLinearMemoryKeepResidentBytes(1024 * 1024)
            .WithTableKeepResidentBytes(64 * 1024);
        using var config = CreateConfig().WithPoolingAllocationStrategy(pooling);
        return new Engine(config);
    }

    /// <summary>
    /// An engine for validating and precompiling modules: the same code generation as
    /// <see cref="CreateForExecution"/> (so its serialized modules load there) without reserving an instance pool.
    /// </summary>
    public static Engine CreateForCompilation()
    {
        using var config = CreateConfig();
        return new Engine(config);
    }

    /// <summary>
    /// Names what a precompiled module depends on: the Wasmtime version, the code-generation settings of
    /// <see cref="CreateConfig"/> and the platform. Precompiled artifacts are stored under it and a worker
    /// only takes those with its own; anything else it compiles from the module. (Wasmtime checks again
    /// when deserializing, CPU features included, so a stale artifact fails safely.)
    /// </summary>
    public static string Fingerprint { get; } = string.Join('/',
        "wasmtime-" + (typeof(Engine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? typeof(Engine).Assembly.GetName().Version?.ToString() ?? "unknown"),
        CodeGeneration,
        $"{Platform}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}");

    private static string Platform =>
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "other";

    /// <summary>The settings below, in words; part of <see cref="Fingerprint"/>. Change both together.</summary>
    private const string CodeGeneration = "cranelift-speed-epoch";

    private static Config CreateConfig() => new Config()
        .WithCompilerStrategy(CompilerStrategy.Cranelift)
        .WithOptimizationLevel(OptimizationLevel.Speed)
        .WithEpochInterruption(true);
}
