using Faas.AppHost.Hosting;

namespace Faas.AppHost.Services;

/// <summary>
/// Finds the project-local AssemblyScript compiler that <c>.ci/run</c> installs
/// (<c>.faas/toolchains/assemblyscript</c>): in the state directory, else in the repository the compiler is built in. Elsewhere the compiler looks for <c>asc</c> on PATH.
/// </summary>
internal static class ToolchainLocator
{
    private static readonly string[] AscBelowToolchains = ["assemblyscript", "node_modules", ".bin", "asc"];

    public static string? FindAssemblyScript(StateLayout state, string compilerPath)
    {
        var candidates = new List<string> { Path.Combine([state.Toolchains, .. AscBelowToolchains]) };
        for (var folder = new DirectoryInfo(Path.GetDirectoryName(compilerPath)!); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Faas.sln")))
            {
                candidates.Add(Path.Combine([folder.FullName, ".faas", "toolchains", .. AscBelowToolchains]));
                break;
            }
        }

        return candidates.FirstOrDefault(File.Exists);
    }
}
