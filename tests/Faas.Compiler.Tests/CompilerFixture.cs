using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.Wasm.Options;
using Faas.Wasm.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Wasmtime;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Faas.Compiler.Tests;

/// <summary>
/// One toolchain detection, one validator and one execution engine for the whole run; each test class gets
/// its own scratch root so that leftovers are visible.
/// </summary>
public sealed class CompilerFixture : IDisposable
{
    private readonly Engine compilationEngine = WasmEngineFactory.CreateForCompilation();

    public CompilerFixture()
    {
        ScratchRoot = Path.Combine(Path.GetTempPath(), "faas-compiler-tests", Guid.NewGuid().ToString("N"));
        Options = WithLocalToolchains(new CompilerOptions { ScratchRoot = ScratchRoot });
        Detector = CreateDetector(Options);
        Validator = new FunctionModuleValidator(compilationEngine);
        Builder = CreateBuilder(Options);
        ExecutionEngine = WasmEngineFactory.CreateForExecution();
        Ticker = new EpochTicker(ExecutionEngine);
        Executor = new WasmExecutor(ExecutionEngine, Ticker, MsOptions.Create(new WorkerOptions()));
    }

    public string ScratchRoot { get; }

    public CompilerOptions Options { get; }

    public ToolchainDetector Detector { get; }

    public FunctionModuleValidator Validator { get; }

    public FunctionBuilder Builder { get; }

    public Engine ExecutionEngine { get; }

    public EpochTicker Ticker { get; }

    public WasmExecutor Executor { get; }

    /// <summary>
    /// Points at the project-local AssemblyScript install .ci/run makes (<c>.faas/toolchains/assemblyscript</c>),
    /// unless <c>Compiler__AscPath</c> names another; a test's own (non-default) path stays.
    /// </summary>
    public static CompilerOptions WithLocalToolchains(CompilerOptions options)
    {
        if (options.AscPath != new CompilerOptions().AscPath)
        {
            return options;
        }

        if (Environment.GetEnvironmentVariable("Compiler__AscPath") is { Length: > 0 } configured)
        {
            options.AscPath = configured;
            return options;
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var asc = Path.Combine(folder.FullName, ".faas", "toolchains", "assemblyscript", "node_modules", ".bin", "asc");
            if (File.Exists(Path.Combine(folder.FullName, "Faas.sln")) && File.Exists(asc))
            {
                options.AscPath = asc;
                break;
            }
        }

        return options;
    }

    public static ToolchainDetector CreateDetector(CompilerOptions options) =>
        new(MsOptions.Create(WithLocalToolchains(options)), NullLogger<ToolchainDetector>.Instance);

    /// <summary>A builder with other settings (sharing this fixture's detection when the binaries are the same).</summary>
    public FunctionBuilder CreateBuilder(CompilerOptions options) =>
        new(options == Options ? Detector : CreateDetector(WithLocalToolchains(options)), Validator, MsOptions.Create(options), NullLogger<FunctionBuilder>.Instance);

    /// <summary>Runs a built module as the runtime would, with <paramref name="payload"/> on stdin.</summary>
    public ExecutionResult Run(byte[] wasm, string payload)
    {
        using var module = Module.FromBytes(ExecutionEngine, "function", wasm);
        return Executor.Execute(module, new ExecutionRequest
        {
            ModuleSha256 = "test",
            FunctionName = "echo",
            Payload = System.Text.Encoding.UTF8.GetBytes(payload),
            TimeoutMs = 10_000,
        });
    }

    public void Dispose()
    {
        Executor.Dispose();
        Ticker.Dispose();
        ExecutionEngine.Dispose();
        compilationEngine.Dispose();
        if (Directory.Exists(ScratchRoot))
        {
            Directory.Delete(ScratchRoot, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CompilerCollection : ICollectionFixture<CompilerFixture>
{
    public const string Name = "Compiler";
}
