using System.Globalization;
using Faas.Compiler.Toolchains.Options;

namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>
/// What one compiler process may use: heap memory, file size and processes of the build user through
/// <c>prlimit</c> (the kernel fails an allocation, a write or a fork beyond them), and a lower CPU priority
/// through <c>nice</c>. Where a tool is missing its limit is left out rather than failing the build.
/// </summary>
internal sealed record ResourceLimits(long MaxMemoryBytes, long MaxFileBytes, int MaxProcesses, int Niceness)
{
    public static ResourceLimits? None => null;

    public static ResourceLimits From(CompilerOptions options) => new(options.MaxMemoryBytes, options.MaxFileBytes, options.MaxProcesses, options.Niceness);

    /// <summary>What goes before the compiler's command line.</summary>
    public IReadOnlyList<string> CommandPrefix()
    {
        var prefix = new List<string>();
        if (ExecutableLocator.Find("prlimit") is { } prlimit)
        {
            prefix.AddRange([prlimit, $"--data={Invariant(MaxMemoryBytes)}", $"--fsize={Invariant(MaxFileBytes)}", $"--nproc={Invariant(MaxProcesses)}", "--"]);
        }

        if (Niceness > 0 && ExecutableLocator.Find("nice") is { } nice)
        {
            prefix.AddRange([nice, "-n", Invariant(Niceness)]);
        }

        return prefix;
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
