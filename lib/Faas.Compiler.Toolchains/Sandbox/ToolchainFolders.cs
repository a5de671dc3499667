namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>The host folders a toolchain installed outside <c>/usr</c> needs inside the build sandbox.</summary>
internal static class ToolchainFolders
{
    /// <summary>The folder of the file an executable (or a link to it) really is; null when it does not exist.</summary>
    public static string? Of(string executable) =>
        ExecutableLocator.Find(executable) is { } found ? Path.GetDirectoryName(RealPath(found)) : null;

    /// <summary>
    /// For a Node.js package's binary (<c>…/node_modules/.bin/asc</c>), the folder holding its outermost
    /// <c>node_modules</c>: the install, with every dependency, and nothing beside it.
    /// </summary>
    public static string? NodeInstall(string executable)
    {
        if (ExecutableLocator.Find(executable) is not { } found)
        {
            return null;
        }

        var path = RealPath(found);
        var index = path.IndexOf("/node_modules/", StringComparison.Ordinal);
        return index > 0 ? path[..index] : Path.GetDirectoryName(path);
    }

    private static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName is { } target ? RealPath(target) : ResolveParents(full);
    }

    /// <summary>Resolves links among the folders of a path, so that the sandbox mounts real folders.</summary>
    private static string ResolveParents(string path)
    {
        var parent = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(parent) || parent == "/")
        {
            return path;
        }

        var realParent = Directory.ResolveLinkTarget(parent, returnFinalTarget: true)?.FullName ?? ResolveParents(parent);
        return Path.Combine(realParent, Path.GetFileName(path));
    }
}
