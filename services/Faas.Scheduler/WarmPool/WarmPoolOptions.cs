using System.ComponentModel.DataAnnotations;

namespace Faas.Scheduler.WarmPool;

/// <summary>The warm pool: modules kept loaded on sinks ahead of calls, and unloaded when idle (section "Scheduler:WarmPool").</summary>
public sealed class WarmPoolOptions
{
    public const string SectionName = "Scheduler:WarmPool";

    /// <summary>Off: modules load on their first call on a sink and stay until the sink's own cache evicts them.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the pool compares warm modules with what functions need.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A module that has not run on a sink for this long is unloaded from that sink, unless the function's <c>minWarm</c>
    /// needs it there. With <c>minWarm</c> 0 a function idle this long is unloaded everywhere (scales to zero).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the functions with <c>minWarm</c> above 0 are read again from the function store (a deploy or delete also triggers a read).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most functions with <c>minWarm</c> the pool keeps warm without a call (the most recently deployed first).</summary>
    [Range(1, 100_000)]
    public int MaxFunctions { get; set; } = 1_000;

    /// <summary>Most prewarms in flight at once, so a burst of deploys or a sink joining does not flood the sinks.</summary>
    [Range(1, 1_000)]
    public int MaxConcurrentPrewarms { get; set; } = 4;

    /// <summary>How long a prewarm may take (a module compiled from scratch can take seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PrewarmTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
