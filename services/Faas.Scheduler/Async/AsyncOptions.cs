using System.ComponentModel.DataAnnotations;

namespace Faas.Scheduler.Async;

/// <summary>Consumption of asynchronous invocations and callback delivery (section "Scheduler:Async").</summary>
public sealed class AsyncOptions
{
    public const string SectionName = "Scheduler:Async";

    /// <summary>Whether this scheduler consumes asynchronous invocations at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Asynchronous invocations this scheduler holds at once, across all functions.</summary>
    [Range(1, 100_000)]
    public int MaxInFlight { get; set; } = 512;

    /// <summary>Messages leased from one function's queue per round: what keeps one busy function from taking every slot first.</summary>
    [Range(1, 10_000)]
    public int MaxLeaseBatch { get; set; } = 32;

    /// <summary>
    /// How long a leased invocation stays with this scheduler without a renewal. Renewed every third of it
    /// while the invocation runs; if the scheduler dies, its invocations go to another consumer after this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long an attempt runs before its RUNNING state is written; an attempt that ends sooner is written once, with its
    /// outcome (its attempt record has the same start and worker). Zero: RUNNING is written as soon as the attempt starts.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan RunningRecordDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>First retry delay; doubled per attempt up to <see cref="MaxRetryDelay"/>, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest pause between two lease rounds while every queue is empty.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often the list of function queues is read again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan QueueDiscoveryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Delivery attempts of one callback before it is given up as failed.</summary>
    [Range(1, 100)]
    public int CallbackMaxAttempts { get; set; } = 8;

    /// <summary>First callback retry delay; doubled per attempt up to <see cref="MaxRetryDelay"/>, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan CallbackRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time limit of one callback POST.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Callback deliveries in flight at once.</summary>
    [Range(1, 10_000)]
    public int CallbackMaxInFlight { get; set; } = 64;

    /// <summary>How often the per-function backlog gauge is read (queue depths from Redis, dead letters from the database).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BacklogGaugeInterval { get; set; } = TimeSpan.FromSeconds(5);
}
