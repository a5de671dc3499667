using System.ComponentModel.DataAnnotations;

namespace Faas.Gateway;

/// <summary>Limits of the public edge (section "Gateway").</summary>
public sealed class GatewayOptions
{
    /// <summary>
    /// How a synchronous invoke of a warm function reaches its sink: <c>Direct</c> (one hop, on slot leases from the
    /// scheduler) or <c>Scheduler</c> (every call through the scheduler's Dispatch). JOB mode and sinks that pull always go
    /// through the scheduler.
    /// </summary>
    public Invocation.Leases.SyncInvokePath SyncInvoke { get; set; } = Invocation.Leases.SyncInvokePath.Direct;

    /// <summary>Largest invocation payload accepted; larger ones are rejected with HTTP 413 / RESOURCE_EXHAUSTED.</summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 6 * 1024 * 1024;

    /// <summary>Largest WebAssembly module or source text accepted by a deploy.</summary>
    [Range(1, 256 * 1024 * 1024)]
    public int MaxModuleBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Most bytes of source a deploy in a compiled language may bring (all files together, and the compressed
    /// archive); more is HTTP 413 / RESOURCE_EXHAUSTED. Keep it at or below the compiler's <c>Compiler:MaxSourceBytes</c>.
    /// </summary>
    [Range(1, 64 * 1024 * 1024)]
    public int MaxSourceBytes { get; set; } = 1024 * 1024;

    /// <summary>Most files in a source archive; keep it at or below the compiler's <c>Compiler:MaxSourceFiles</c>.</summary>
    [Range(1, 10_000)]
    public int MaxSourceFiles { get; set; } = 64;

    /// <summary>Longest a deploy with <c>wait</c> waits for its build; after it the version is returned still BUILDING.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxBuildWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Page size when a list request gives none.</summary>
    [Range(1, 500)]
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Largest page a list request may ask for; larger requests are coerced down.</summary>
    [Range(1, 5000)]
    public int MaxPageSize { get; set; } = 500;

    /// <summary>
    /// Most bytes of items (protobuf size) one page of a list carries: a page stops adding items at it, and its next page
    /// token continues from there. A single item larger than it still comes, alone.
    /// </summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxPageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Versions one function may have; a deploy beyond is HTTP 409 / FAILED_PRECONDITION until old ones are deleted.</summary>
    [Range(1, 1_000_000)]
    public int MaxVersionsPerFunction { get; set; } = 1000;

    /// <summary>How long an idempotency key of an asynchronous enqueue keeps returning its first execution.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Asynchronous invocations one function may have queued, delayed or running; more are rejected with 429.</summary>
    [Range(1, 100_000_000)]
    public int MaxAsyncBacklog { get; set; } = 1_000_000;

    /// <summary>Dead letters one redrive request moves at most; a larger backlog takes several requests.</summary>
    [Range(1, 1_000_000)]
    public int MaxRedriveBatch { get; set; } = 10_000;
}
