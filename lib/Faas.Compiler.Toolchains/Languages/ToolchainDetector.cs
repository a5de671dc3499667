using Faas.Compiler.Toolchains.Diagnostics;
using Faas.Compiler.Toolchains.Languages.AssemblyScript;
using Faas.Compiler.Toolchains.Options;
using Faas.Compiler.Toolchains.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Compiler.Toolchains.Languages;

/// <summary>
/// Finds out once, at the first call, which languages this machine can build and how builds are isolated,
/// and logs a report per language. Thread-safe.
/// </summary>
public sealed class ToolchainDetector
{
    private readonly CompilerOptions options;
    private readonly ILogger<ToolchainDetector> logger;
    private readonly Lazy<Task<ToolchainInventory>> inventory;

    public ToolchainDetector(IOptions<CompilerOptions> options, ILogger<ToolchainDetector> logger)
    {
        this.options = options.Value;
        this.logger = logger;
        Toolchains = new Dictionary<SourceLanguage, ILanguageToolchain>
        {
            [SourceLanguage.C] = new ClangToolchain(SourceLanguage.C, this.options),
            [SourceLanguage.Cpp] = new ClangToolchain(SourceLanguage.Cpp, this.options),
            [SourceLanguage.Rust] = new RustToolchain(this.options),
            [SourceLanguage.AssemblyScript] = new AssemblyScriptToolchain(this.options),
        };
        inventory = new Lazy<Task<ToolchainInventory>>(() => DetectAsync(CancellationToken.None));
    }

    internal IReadOnlyDictionary<SourceLanguage, ILanguageToolchain> Toolchains { get; }

    /// <summary>The sandbox builds run in; unavailable until detection has run, and where bubblewrap cannot work.</summary>
    internal BuildSandbox Sandbox { get; private set; } = null!;

    /// <summary>The start-up detection's result (detecting on the first call).</summary>
    public Task<ToolchainInventory> GetInventoryAsync(CancellationToken cancellationToken = default) =>
        inventory.Value.WaitAsync(cancellationToken);

    private async Task<ToolchainInventory> DetectAsync(CancellationToken cancellationToken)
    {
        Sandbox = await BuildSandbox.ProbeAsync(options, cancellationToken).ConfigureAwait(false);
        if (Sandbox.Problem is { } problem)
        {
            Log.SandboxUnavailable(logger, problem);
        }
        else
        {
            Log.SandboxAvailable(logger, BuildSandbox.RunsAsRoot ? options.SandboxUserId : -1);
        }

        // Detection runs the platform's own commands (`--version`), so it needs no sandbox.
        var runner = new SandboxedProcess();
        var reports = new Dictionary<SourceLanguage, ToolchainReport>();
        foreach (var (language, toolchain) in Toolchains)
        {
            var report = await toolchain.DetectAsync(runner, cancellationToken).ConfigureAwait(false);
            if (Sandbox.Problem is { } missing)
            {
                // Without the sandbox no tenant source is compiled, whatever else is installed.
                report = report with { Missing = [.. report.Missing, missing], InstallPackages = [.. report.InstallPackages, "bubblewrap"] };
            }

            reports[language] = report;
            if (report.IsAvailable)
            {
                Log.ToolchainAvailable(logger, language.ToName(), report.Version);
            }
            else
            {
                Log.ToolchainUnavailable(logger, report.Describe());
            }
        }

        return new ToolchainInventory(reports, Sandbox.IsAvailable);
    }
}
