using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Options;
using Faas.Compiler.Toolchains.Sandbox;

namespace Faas.Compiler.Toolchains.Languages;

/// <summary>
/// Rust through rustc's wasm32-wasi target and its prebuilt standard library, linked by wasm-ld. The std
/// library only: no Cargo, no crates, so a build never fetches anything.
/// </summary>
internal sealed class RustToolchain(CompilerOptions options) : ILanguageToolchain
{
    private const string DefaultEntry = "main.rs";

    /// <summary>rustc's sysroot as detection found it (its standard library lives below it).</summary>
    private string? sysroot;

    public SourceLanguage Language => SourceLanguage.Rust;

    public async Task<ToolchainReport> DetectAsync(SandboxedProcess runner, CancellationToken cancellationToken)
    {
        var probe = new ToolchainProbe(Language);
        var rustc = probe.RequireExecutable(options.RustcPath, "rustc");
        probe.RequireExecutable(options.WasmLdPath, "lld");
        string? version = null;
        if (rustc is not null)
        {
            version = await ToolchainProbe.QueryAsync(runner, rustc, ["--version"], cancellationToken).ConfigureAwait(false);
            sysroot = await ToolchainProbe.QueryAsync(runner, rustc, ["--print", "sysroot"], cancellationToken).ConfigureAwait(false);
            var std = sysroot is null ? null : Path.Combine(sysroot, "lib", "rustlib", "wasm32-wasi", "lib");
            if (std is null || !Directory.Exists(std) || Directory.GetFiles(std, "libstd-*.rlib").Length == 0)
            {
                probe.AddMissing($"the wasm32-wasi standard library ({std ?? "rustc sysroot unknown"})", "libstd-rust-dev-wasm32");
            }
        }

        return probe.Report(version);
    }

    public CompileCommand Plan(IReadOnlyCollection<string> fileNames, BuildOptions buildOptions, string outputFile)
    {
        var rustFiles = fileNames.Where(name => name.EndsWith(".rs", StringComparison.Ordinal)).ToArray();
        var entry = buildOptions.EntryFile
            ?? (rustFiles.Length == 1 ? rustFiles[0] : rustFiles.FirstOrDefault(name => name == DefaultEntry));
        if (entry is null || !fileNames.Contains(entry))
        {
            return CompileCommand.Invalid($"A rust build needs its crate root: a single .rs file, a `{DefaultEntry}`, or an entry file that is among the sources.");
        }

        string[] arguments =
        [
            "--target", "wasm32-wasi", "--edition", "2021", "--crate-type", "bin", "--crate-name", "function",
            "--error-format=short", "--color", "never",
            "-C", $"linker={ExecutableLocator.Find(options.WasmLdPath) ?? options.WasmLdPath}",
            "-C", $"opt-level={(buildOptions.Optimize ? 2 : 0)}", "-C", "strip=debuginfo",
            "-o", outputFile, "--", entry,
        ];
        return new CompileCommand(ExecutableLocator.Find(options.RustcPath) ?? options.RustcPath, arguments)
        {
            ReadOnlyFolders = [.. new[] { ToolchainFolders.Of(options.RustcPath), ToolchainFolders.Of(options.WasmLdPath), sysroot }.OfType<string>()],
        };
    }
}
