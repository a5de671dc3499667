using System.Runtime.InteropServices;

namespace Faas.AppHost.Processes;

/// <summary>Finds the <c>dotnet</c> executable that runs the service dlls (the one running the AppHost).</summary>
internal static class DotNetHost
{
    public static string Path { get; } = Resolve();

    private static string Resolve()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        if (Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var root = System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = System.IO.Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
