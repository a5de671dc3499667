using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Options;
using Faas.Compiler.Toolchains.Sandbox;

namespace Faas.Compiler.Toolchains.Languages;

/// <summary>
/// C and C++ through clang's wasm32-wasi target against the wasi-libc sysroot, linked by wasm-ld into a
/// WASI command (<c>_start</c> from crt1-command.o). C++ adds libc++, built without exceptions.
/// </summary>
internal sealed class ClangToolchain(SourceLanguage language, CompilerOptions options) : ILanguageToolchain
{
    private static readonly string[] CExtensions = [".c"];
    private static readonly string[] CppExtensions = [".cpp", ".cc", ".cxx"];

    public SourceLanguage Language => language;

    private bool IsCpp => language == SourceLanguage.Cpp;

    public async Task<ToolchainReport> DetectAsync(SandboxedProcess runner, CancellationToken cancellationToken)
    {
        var probe = new ToolchainProbe(language);
        var clang = probe.RequireExecutable(options.ClangPath, "clang");
        probe.RequireExecutable(options.WasmLdPath, "lld");
        var libraries = Path.Combine(options.WasiSysroot, "lib", "wasm32-wasi");
        probe.RequireFile(Path.Combine(libraries, "libc.a"), "wasi-libc", "wasi-libc");
        probe.RequireFile(Path.Combine(options.WasiSysroot, "include", "wasm32-wasi", "stdio.h"), "wasi-libc headers", "wasi-libc");
        if (IsCpp)
        {
            probe.RequireFile(Path.Combine(libraries, "libc++.a"), "libc++ for wasm32", "libc++-dev-wasm32");
            probe.RequireFile(Path.Combine(libraries, "libc++abi.a"), "libc++abi for wasm32", "libc++-dev-wasm32");
        }

        string? version = null;
        if (clang is not null)
        {
            version = await ToolchainProbe.QueryAsync(runner, clang, ["--version"], cancellationToken).ConfigureAwait(false);
            var builtins = await ToolchainProbe.QueryAsync(runner, clang, ["--target=wasm32-wasi", "-print-libgcc-file-name"], cancellationToken).ConfigureAwait(false);
            probe.RequireFile(builtins ?? "libclang_rt.builtins-wasm32.a", "compiler-rt builtins for wasm32", "libclang-rt-14-dev-wasm32");
        }

        return probe.Report(version);
    }

    public CompileCommand Plan(IReadOnlyCollection<string> fileNames, BuildOptions buildOptions, string outputFile)
    {
        var extensions = IsCpp ? CppExtensions : CExtensions;
        var units = fileNames.Where(name => extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase))).Order(StringComparer.Ordinal).ToArray();
        if (units.Length == 0)
        {
            return CompileCommand.Invalid($"A {language.ToName()} build needs at least one {string.Join(" or ", extensions)} file.");
        }

        List<string> arguments =
        [
            "--target=wasm32-wasi", $"--sysroot={options.WasiSysroot}",
            buildOptions.Optimize ? "-O2" : "-O0",
            "-fno-color-diagnostics", "-fno-caret-diagnostics", "-ferror-limit=50",
            // A crashing compiler (e.g. at its memory limit) writes no preprocessed reproducer.
            "-fno-crash-diagnostics",
            "-o", outputFile,
        ];
        if (IsCpp)
        {
            arguments.InsertRange(0, ["--driver-mode=g++", "-fno-exceptions"]);
        }

        // "--" ends the options: a file named like a flag stays a file.
        arguments.Add("--");
        arguments.AddRange(units);
        return new CompileCommand(ExecutableLocator.Find(options.ClangPath) ?? options.ClangPath, arguments)
        {
            ReadOnlyFolders = [.. new[] { ToolchainFolders.Of(options.ClangPath), ToolchainFolders.Of(options.WasmLdPath), options.WasiSysroot }.OfType<string>()],
        };
    }
}
