using System.ComponentModel.DataAnnotations;

namespace Faas.ServiceDefaults.Multiplexing;

/// <summary>
/// How a service carries its calls to another (the scheduler's to workers: "Scheduler:WorkerStreams"; the gateway's to the
/// scheduler: "Gateway:SchedulerStreams").
/// </summary>
public sealed class MultiplexingOptions
{
    /// <summary>Multiplex calls on one long-lived stream per peer; false: one unary call each.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Calls with a larger payload go unary, so a big transfer does not hold up the small calls sharing the stream.</summary>
    [Range(0, 64 * 1024 * 1024)]
    public int MaxStreamedPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>A stream is replaced after this long (it was authenticated once, when it opened).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The timeout a request carries: whole milliseconds, 0 for none.</summary>
    public static uint TimeoutMs(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? 0 : (uint)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds), 1, uint.MaxValue);
}
