using Faas.Compiler.Toolchains.Builds;

namespace Faas.Compiler.Toolchains.Options;

/// <summary>
/// Settings of the compiler's toolchains and build sandbox, bound from the <c>Compiler</c> configuration
/// section. Binary paths are names looked up on PATH or absolute paths.
/// </summary>
public sealed class CompilerOptions
{
    public const string SectionName = "Compiler";

    /// <summary>clang with the WebAssembly back end, for C and C++ (Debian <c>clang</c>).</summary>
    public string ClangPath { get; set; } = "clang-14";

    /// <summary>The WebAssembly linker clang and rustc link with (Debian <c>lld</c>).</summary>
    public string WasmLdPath { get; set; } = "wasm-ld-14";

    /// <summary>The WASI sysroot: <c>include/wasm32-wasi</c> and <c>lib/wasm32-wasi</c> below it (Debian <c>wasi-libc</c>).</summary>
    public string WasiSysroot { get; set; } = "/usr";

    /// <summary>rustc with the wasm32-wasi standard library (Debian <c>rustc</c>, <c>libstd-rust-dev-wasm32</c>).</summary>
    public string RustcPath { get; set; } = "/usr/bin/rustc";

    /// <summary>The AssemblyScript compiler <c>asc</c> (npm <c>assemblyscript</c>).</summary>
    public string AscPath { get; set; } = "asc";

    /// <summary>Where builds make their scratch directories.</summary>
    public string ScratchRoot { get; set; } = Path.Combine(Path.GetTempPath(), "faas", "builds");

    /// <summary>Wall-clock limit of one build; the compiler's whole process group is killed at it.</summary>
    public TimeSpan BuildTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Compiler output kept per build, in characters (its tail); the rest is discarded after diagnostics are parsed from it.</summary>
    public int MaxLogBytes { get; set; } = 64 * 1024;

    /// <summary>Largest module a build may produce.</summary>
    public int MaxModuleBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Most source files in one build.</summary>
    public int MaxSourceFiles { get; set; } = 64;

    /// <summary>Most bytes of source (all files together, UTF-8) in one build.</summary>
    public int MaxSourceBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Data memory (heap) of each compiler process (<c>prlimit --data</c>): a compile bomb that allocates
    /// without end fails instead of starving the machine.
    /// </summary>
    public long MaxMemoryBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest file a compiler process may write (<c>prlimit --fsize</c>), so a build cannot fill the disk.</summary>
    public long MaxFileBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Scheduling priority of compiler processes (<c>nice</c>, 0..19): builds yield the CPU to running functions.</summary>
    public int Niceness { get; set; } = 10;

    /// <summary>The source limits of one build.</summary>
    public SourceLimits SourceLimits => new(MaxSourceFiles, MaxSourceBytes);

    /// <summary>
    /// Processes and threads the build user may have at once (<c>prlimit --nproc</c>, counted by the kernel per
    /// user across every build running as it), so a build that forks without end fails instead of filling the machine.
    /// </summary>
    public int MaxProcesses { get; set; } = 512;

    /// <summary>
    /// bubblewrap, which runs every build in namespaces of its own (Debian <c>bubblewrap</c>). Without it no
    /// language can be built: the compiler never runs tenant source on the host.
    /// </summary>
    public string BubblewrapPath { get; set; } = "bwrap";

    /// <summary>The unprivileged user builds run as when the compiler service runs as root (default <c>nobody</c>).</summary>
    public int SandboxUserId { get; set; } = 65534;

    /// <summary>The group builds run as when the compiler service runs as root (default <c>nogroup</c>).</summary>
    public int SandboxGroupId { get; set; } = 65534;
}
