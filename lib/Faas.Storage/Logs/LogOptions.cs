namespace Faas.Storage.Logs;

/// <summary>Functions' logs (section <c>Logs</c>): caps, retention and how lines are written and followed.</summary>
public sealed class LogOptions
{
    public const string SectionName = "Logs";

    /// <summary>
    /// Bytes of log text one execution (one attempt of an asynchronous one) may keep; the lines past it are dropped and a
    /// platform line says how much. Enforced where lines are recorded, whatever the sink sent.
    /// </summary>
    public int MaxBytesPerExecution { get; set; } = 64 * 1024;

    /// <summary>Most lines a tenant keeps; past it, its oldest lines are deleted at the next sweep.</summary>
    public int MaxLinesPerTenant { get; set; } = 100_000;

    /// <summary>How long lines are kept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often old lines and tenants over their cap are swept.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long lines may wait for companions before their batch is written.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Lines written per round trip at most.</summary>
    public int MaxBatchLines { get; set; } = 5_000;

    /// <summary>Executions' logs buffered for writing; past it, new ones are dropped and counted (a log never slows a call).</summary>
    public int Capacity { get; set; } = 20_000;

    /// <summary>A follower looks for new lines at least this often, even when no notification came.</summary>
    public TimeSpan FollowPollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Followers (<c>follow</c> reads) one tenant may have open on one gateway; more are RESOURCE_EXHAUSTED (429).</summary>
    public int MaxFollowersPerTenant { get; set; } = 20;

    /// <summary>Whether the stdout of asynchronous runs is logged too (it is also kept as the execution's output).</summary>
    public bool AsyncStdout { get; set; } = true;
}
