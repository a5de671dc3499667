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

    /// <summary>
    /// The fraction of the online sinks' slots one tenant may run on at once (at least one slot), so no tenant can take
    /// them all; 1 lets one tenant use every slot (a platform with one tenant).
    /// </summary>
    [Range(0.01, 1.0)]
    public double TenantSlotShare { get; set; } = 0.75;

    /// <summary>Added to a function's timeout for the worker call's deadline, so the worker reports the timeout itself.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan WorkerDeadlineGrace { get; set; } = TimeSpan.FromSeconds(5);
}
