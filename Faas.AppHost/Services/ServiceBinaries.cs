using System.Reflection;
using System.Runtime.InteropServices;

namespace Faas.AppHost.Services;

/// <summary>The built output of each process of the app model, as the AppHost's build recorded it (see the project file).</summary>
public static class ServiceBinaries
{
    private static readonly IReadOnlyDictionary<string, string> Paths = typeof(ServiceBinaries).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Key.StartsWith("FaasBinary:", StringComparison.Ordinal) && a.Value is not null)
        .ToDictionary(a => a.Key["FaasBinary:".Length..], a => a.Value!, StringComparer.Ordinal);

    /// <summary>The built dll of <paramref name="project"/> (its file name without extension, e.g. <c>Faas.Gateway</c>).</summary>
    public static string Dll(string project) =>
        Paths.TryGetValue(project, out var path)
            ? path
            : throw new InvalidOperationException($"The AppHost was built without {project}; there are {string.Join(", ", Paths.Keys)}.");

    /// <summary>The dotnet that runs the dlls: the one <c>dotnet run</c> names, else the one this runtime belongs to.</summary>
    public static string DotNet { get; } = ResolveDotNet();

    private static string ResolveDotNet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return File.Exists(Path.Combine(root, "dotnet")) ? Path.Combine(root, "dotnet") : "dotnet";
    }
}
