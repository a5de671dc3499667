using System.Globalization;

namespace Faas.Bench.Load;

/// <summary>
/// CPU time of processes as Linux counts it in <c>/proc/&lt;pid&gt;/stat</c>: user plus system time, in clock ticks of
/// <see cref="TicksPerSecond"/> (<c>USER_HZ</c>, what <c>sysconf(_SC_CLK_TCK)</c> answers: 100 on every Linux
/// architecture .NET runs on). Elsewhere there is nothing to read and every figure is zero.
/// </summary>
public static class ProcessCpu
{
    public const double TicksPerSecond = 100;

    /// <summary>Every process there is now, by id (empty without <c>/proc</c>).</summary>
    public static IReadOnlyDictionary<int, ProcessTicks> ReadAll()
    {
        var all = new Dictionary<int, ProcessTicks>();
        if (!Directory.Exists("/proc"))
        {
            return all;
        }

        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } ticks)
            {
                all[pid] = ticks;
            }
        }

        return all;
    }

    /// <summary>
    /// The CPU ticks of <paramref name="pid"/> with its children: its own, those of its children that ended (and that it
    /// waited for), and those of its children alive now. A child that ends between two readings moves from the last to the
    /// second, so the difference between two readings is what the whole family spent between them.
    /// </summary>
    public static long FamilyTicks(IReadOnlyDictionary<int, ProcessTicks> all, int pid)
    {
        ArgumentNullException.ThrowIfNull(all);
        if (!all.TryGetValue(pid, out var root))
        {
            return 0;
        }

        return root.Own + root.EndedChildren + all.Values.Where(p => p.ParentId == pid).Sum(p => p.Own);
    }

    public static TimeSpan ToTime(long ticks) => TimeSpan.FromSeconds(ticks / TicksPerSecond);

    private static ProcessTicks? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // ended in between, or not ours to read
        }

        // pid (comm) state ppid … utime stime cutime cstime …: the command may hold spaces and parentheses, so count
        // the fields from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new ProcessTicks((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }
}

/// <summary>One process in <c>/proc</c>: its parent, its own CPU ticks, and those of its children that ended.</summary>
public readonly record struct ProcessTicks(int ParentId, long Own, long EndedChildren);
