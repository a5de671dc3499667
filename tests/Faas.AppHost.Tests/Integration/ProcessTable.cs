namespace Faas.AppHost.Tests.Integration;

/// <summary>What /proc says about processes (a zombie counts as gone: it runs nothing).</summary>
internal static class ProcessTable
{
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    public static IReadOnlyDictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0])
            .ToDictionary(g => g.Key, g => g.Last()[1]);

    /// <summary>Live processes whose command line mentions <paramref name="text"/>.</summary>
    public static IReadOnlyList<string> Mentioning(string text)
    {
        var found = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == System.Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = CommandLine(pid);
                if (commandLine.Contains(text, StringComparison.Ordinal) && IsAlive(pid))
                {
                    found.Add($"{pid}: {commandLine}");
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
            {
            }
        }

        return found;
    }
}
