using System.ComponentModel.DataAnnotations;

namespace Faas.Gateway.Invocation.Leases;

/// <summary>How a synchronous invoke of a warm function reaches its sink (section "Gateway").</summary>
public enum SyncInvokePath
{
    /// <summary>One hop: the gateway holds slot leases from the scheduler and calls the sink itself.</summary>
    Direct,

    /// <summary>Two hops: every call goes through the scheduler's Dispatch.</summary>
    Scheduler,
}

/// <summary>The gateway's slot leases (section "Gateway:Leases").</summary>
public sealed class LeaseClientOptions
{
    public const string SectionName = "Gateway:Leases";

    /// <summary>A lease no call used for this long goes back to the scheduler.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan IdleReturn { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a call waits for the lease stream to the scheduler to be up before it fails (UNAVAILABLE).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ConnectWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause before the lease stream is opened again after it broke.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Added to a function's timeout for the sink call's deadline, so the sink reports the timeout itself.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan SinkDeadlineGrace { get; set; } = TimeSpan.FromSeconds(5);
}
