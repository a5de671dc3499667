namespace Faas.Queues;

/// <summary>Reliable Redis queues (section "Queues").</summary>
public sealed class ReliableQueueOptions
{
    public const string SectionName = "Queues";

    /// <summary>How long a consumer holds a leased message when it asks for no other duration.</summary>
    public TimeSpan DefaultLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the reaper returns expired leases to ready and promotes due delayed messages.</summary>
    public TimeSpan ReaperPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between two lease attempts while a waiting consumer finds its queue empty.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Messages moved per reaper script call, so one call never holds the server for long.</summary>
    public int ReapBatchSize { get; set; } = 500;
}
