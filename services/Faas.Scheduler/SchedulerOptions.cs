using System.ComponentModel.DataAnnotations;

namespace Faas.Scheduler;

/// <summary>Scheduler settings (section "Scheduler").</summary>
public sealed class SchedulerOptions
{
    /// <summary>How long an invocation waits, right after the scheduler starts, for the sink manager's first membership.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MembershipWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Added to a pulled task's deadline for its wait for a sink with room (beyond the function's timeout and grace).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PullHandOffAllowance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Added to a function's timeout for the worker call's deadline, so the worker reports the timeout itself.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan WorkerDeadlineGrace { get; set; } = TimeSpan.FromSeconds(5);
}
