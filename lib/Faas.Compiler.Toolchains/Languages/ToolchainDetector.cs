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

    internal NetworkIsolation Network { get; private set; } = NetworkIsolation.None;

    /// <summary>The start-up detection's result (detecting on the first call).</summary>
    public Task<ToolchainInventory> GetInventoryAsync(CancellationToken cancellationToken = default) =>
        inventory.Value.WaitAsync(cancellationToken);

    private async Task<ToolchainInventory> DetectAsync(CancellationToken cancellationToken)
    {
        Network = options.IsolateNetwork ? await NetworkIsolation.ProbeAsync(cancellationToken).ConfigureAwait(false) : NetworkIsolation.None;
        if (Network.IsIsolated)
        {
            Log.NetworkIsolated(logger);
        }
        else
        {
            Log.NetworkNotIsolated(logger);
        }

        var runner = new SandboxedProcess(NetworkIsolation.None);
        var reports = new Dictionary<SourceLanguage, ToolchainReport>();
        foreach (var (language, toolchain) in Toolchains)
        {
            var report = await toolchain.DetectAsync(runner, cancellationToken).ConfigureAwait(false);
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

        return new ToolchainInventory(reports, Network.IsIsolated);
    }
}
