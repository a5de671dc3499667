namespace Faas.Bench.Load;

/// <summary>The processes of one kind (every gateway, every worker, …) whose CPU time a scenario is charged.</summary>
public sealed record ProcessGroup(string Kind, IReadOnlyList<int> ProcessIds);

/// <summary>CPU time spent over a window by each kind of process, in the order the kinds were given.</summary>
public sealed record CpuUsage(IReadOnlyList<(string Kind, TimeSpan Time)> ByKind)
{
    public TimeSpan Total => TimeSpan.FromTicks(ByKind.Sum(k => k.Time.Ticks));

    public TimeSpan Of(string kind) => ByKind.FirstOrDefault(k => k.Kind == kind).Time;
}

/// <summary>
/// Measures what groups of processes, each process with its children (PostgreSQL's backends are children of the
/// postmaster), spend of the CPU over a window: <see cref="Start"/>, then <see cref="CpuWindow.Stop"/>. The processes are
/// looked up at the start; one that ends within the window (a crash, a restart) counts nothing.
/// </summary>
public sealed class CpuMeter(Func<IReadOnlyList<ProcessGroup>> groups)
{
    public CpuWindow Start() => new(groups());
}

/// <summary>A window of a <see cref="CpuMeter"/>: the readings at its start.</summary>
public sealed class CpuWindow
{
    private readonly IReadOnlyList<ProcessGroup> groups;
    private readonly IReadOnlyList<long[]> before;

    internal CpuWindow(IReadOnlyList<ProcessGroup> groups)
    {
        this.groups = groups;
        before = Read(groups);
    }

    /// <summary>What each kind spent since the start.</summary>
    public CpuUsage Stop()
    {
        var after = Read(groups);
        return new CpuUsage([.. groups.Select((g, i) =>
            (g.Kind, ProcessCpu.ToTime(g.ProcessIds.Select((_, p) => after[i][p] == 0 ? 0 : Math.Max(0, after[i][p] - before[i][p])).Sum())))]);
    }

    private static List<long[]> Read(IReadOnlyList<ProcessGroup> groups)
    {
        var all = ProcessCpu.ReadAll();
        return [.. groups.Select(g => g.ProcessIds.Select(pid => ProcessCpu.FamilyTicks(all, pid)).ToArray())];
    }
}
