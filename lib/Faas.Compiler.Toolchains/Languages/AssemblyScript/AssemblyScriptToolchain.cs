using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Options;
using Faas.Compiler.Toolchains.Sandbox;

namespace Faas.Compiler.Toolchains.Languages.AssemblyScript;

/// <summary>
/// AssemblyScript through <c>asc</c> (npm <c>assemblyscript</c>, run by Node.js). Every build gets the glue
/// module <c>faas.ts</c> (readInput/writeOutput over wasi_snapshot_preview1); the entry file's top-level code
/// becomes <c>_start</c>, and aborts go to stderr and exit code 1 instead of importing <c>env.abort</c>.
/// </summary>
internal sealed class AssemblyScriptToolchain(CompilerOptions options) : ILanguageToolchain
{
    /// <summary>The glue's file name: sources import it as <c>./faas</c>.</summary>
    public const string GlueFile = "faas.ts";

    private const string DefaultEntry = "index.ts";

    private static readonly Lazy<string> Glue = new(() =>
    {
        using var stream = typeof(AssemblyScriptToolchain).Assembly.GetManifestResourceStream(GlueFile)
            ?? throw new InvalidOperationException($"The embedded {GlueFile} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public SourceLanguage Language => SourceLanguage.AssemblyScript;

    public async Task<ToolchainReport> DetectAsync(SandboxedProcess runner, CancellationToken cancellationToken)
    {
        var probe = new ToolchainProbe(Language);
        probe.RequireExecutable("node", "nodejs");
        var asc = probe.RequireExecutable(options.AscPath, "npm:assemblyscript");
        var version = asc is null || probe.HasMissing
            ? null
            : await ToolchainProbe.QueryAsync(runner, asc, ["--version"], cancellationToken).ConfigureAwait(false);
        return probe.Report(version);
    }

    public CompileCommand Plan(IReadOnlyCollection<string> fileNames, BuildOptions buildOptions, string outputFile)
    {
        if (fileNames.Contains(GlueFile))
        {
            return CompileCommand.Invalid($"`{GlueFile}` is the platform's glue module and cannot be replaced; import it as \"./faas\".");
        }

        var scripts = fileNames.Where(name => name.EndsWith(".ts", StringComparison.Ordinal)).ToArray();
        var entry = buildOptions.EntryFile
            ?? (scripts.Length == 1 ? scripts[0] : scripts.FirstOrDefault(name => name == DefaultEntry));
        if (entry is null || !fileNames.Contains(entry))
        {
            return CompileCommand.Invalid($"An assemblyscript build needs its entry: a single .ts file, an `{DefaultEntry}`, or an entry file that is among the sources.");
        }

        string[] arguments =
        [
            entry, "-o", outputFile,
            "--exportStart", "_start", "--use", "abort=faas/faasAbort",
            buildOptions.Optimize ? "-O2" : "-O0", "--noColors",
        ];
        return new CompileCommand(ExecutableLocator.Find(options.AscPath) ?? options.AscPath, arguments)
        {
            ReadOnlyFolders = [.. new[] { ToolchainFolders.NodeInstall(options.AscPath), ToolchainFolders.Of("node") }.OfType<string>()],
            SupportFiles = new Dictionary<string, string> { [GlueFile] = Glue.Value },
        };
    }
}
