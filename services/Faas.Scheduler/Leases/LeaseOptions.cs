using System.ComponentModel.DataAnnotations;

namespace Faas.Scheduler.Leases;

/// <summary>Slot leases (section "Scheduler:Leases"): how long a silent gateway keeps them, and how they are called back.</summary>
public sealed class LeaseOptions
{
    public const string SectionName = "Scheduler:Leases";

    /// <summary>How often a gateway must speak on its lease stream (it sends a keep-alive when it has nothing else to say).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a lease stream may stay silent before its leases are taken back: the bound on how long a gateway that
    /// vanished without closing its connection holds capacity. A gateway killed outright closes its connection, and its
    /// leases come back at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.300", "00:05:00")]
    public TimeSpan Expiry { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long, after others were found waiting for what a gateway's leases hold, it returns each lease as its call ends.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReclaimWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an acquire over its tenant's concurrency quota waits for leases held idle by gateways to come back before it is refused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan QuotaReclaimWait { get; set; } = TimeSpan.FromMilliseconds(500);
}
