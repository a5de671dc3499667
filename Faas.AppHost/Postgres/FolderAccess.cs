namespace Faas.AppHost.Postgres;

/// <summary>Lets another user reach a folder: every parent needs the "others may traverse" bit.</summary>
internal static class FolderAccess
{
    /// <summary>Adds o+x to each parent of <paramref name="path"/> that lacks it; returns the folders changed.</summary>
    public static IReadOnlyList<string> MakeParentsTraversable(string path)
    {
        var changed = new List<string>();
        if (OperatingSystem.IsWindows())
        {
            return changed;
        }

        for (var folder = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
        {
            var mode = File.GetUnixFileMode(folder);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(folder, mode | UnixFileMode.OtherExecute);
                changed.Add(folder);
            }
        }

        return changed;
    }
}
