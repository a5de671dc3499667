using System.ComponentModel.DataAnnotations;

namespace Faas.Scheduler;

/// <summary>Scheduler settings (section "Scheduler").</summary>
public sealed class SchedulerOptions
{
    /// <summary>How often workers are asked for their load and warm modules.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan WorkerProbeInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Added to a function's timeout for the worker call's deadline, so the worker reports the timeout itself.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan WorkerDeadlineGrace { get; set; } = TimeSpan.FromSeconds(5);
}
