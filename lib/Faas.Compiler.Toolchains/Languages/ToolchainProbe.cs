using Faas.Compiler.Toolchains.Sandbox;

namespace Faas.Compiler.Toolchains.Languages;

/// <summary>Collects what one language's detection finds missing, with the package that provides each part.</summary>
internal sealed class ToolchainProbe(SourceLanguage language)
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(20);

    private readonly List<string> missing = [];
    private readonly List<string> packages = [];

    public bool HasMissing => missing.Count > 0;

    /// <summary>The resolved binary, or null (recorded as missing) when it does not exist.</summary>
    public string? RequireExecutable(string configured, string package)
    {
        var found = ExecutableLocator.Find(configured);
        if (found is null)
        {
            AddMissing($"`{configured}`", package);
        }

        return found;
    }

    public void RequireFile(string path, string description, string package)
    {
        if (!File.Exists(path))
        {
            AddMissing($"{description} ({path})", package);
        }
    }

    public void AddMissing(string what, string package)
    {
        missing.Add(what);
        if (!packages.Contains(package))
        {
            packages.Add(package);
        }
    }

    /// <summary>The first line of a query command's output, e.g. <c>--version</c>; null when it fails.</summary>
    public static async Task<string?> QueryAsync(SandboxedProcess runner, string binary, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var outcome = await runner.RunAsync(binary, arguments, Path.GetTempPath(), QueryTimeout, 4096, null, cancellationToken).ConfigureAwait(false);
        return outcome is { TimedOut: false, ExitCode: 0 }
            ? outcome.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
            : null;
    }

    public ToolchainReport Report(string? version) => new()
    {
        Language = language,
        Version = version,
        Missing = missing.ToArray(),
        InstallPackages = packages.ToArray(),
    };
}
