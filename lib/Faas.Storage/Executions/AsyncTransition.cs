using Faas.Storage.Model;

namespace Faas.Storage.Executions;

/// <summary>
/// A state change of an asynchronous execution. It carries the execution's identity in full, so
/// whichever write reaches PostgreSQL first creates the record: a consumer's "running" may land before
/// the gateway's "queued", and a message whose gateway died after the enqueue still gets its record.
/// </summary>
public sealed record AsyncTransition(
    Guid Id,
    Guid TenantId,
    Guid FunctionId,
    string FunctionName,
    int Version,
    ExecutionStatus Status,
    DateTimeOffset CreatedAt,
    long InputBytes,
    string TraceId,
    int MaxRetries,
    string? IdempotencyKey,
    string? CallbackUrl)
{
    /// <summary>The attempt this change belongs to (0 before the first).</summary>
    public int Attempts { get; init; }

    /// <summary>What is known of that attempt; merged into its entry field by field.</summary>
    public ExecutionAttempt? Attempt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    public byte[]? Output { get; init; }

    public long OutputBytes { get; init; }

    public int ExitCode { get; init; }

    public string Error { get; init; } = "";

    public string StderrTail { get; init; } = "";

    public string Worker { get; init; } = "";

    public long QueueMicros { get; init; }

    public long RunMicros { get; init; }

    /// <summary>For a dead-lettering: the queue message to keep for a redrive.</summary>
    public byte[]? DeadLetterMessage { get; init; }

    /// <summary>The record as it will read once this transition is committed (for reads of posted, uncommitted transitions).</summary>
    public Execution ToExecution() =>
        new(Id, TenantId, FunctionId, FunctionName, Version, Status, CreatedAt, FinishedAt, QueueMicros, RunMicros, InputBytes, OutputBytes,
            ExitCode, Error, StderrTail, Worker, TraceId)
        {
            Kind = ExecutionKind.Async,
            Attempts = Attempts,
            AttemptLog = Attempt is null ? [] : [Attempt],
            MaxRetries = MaxRetries,
            IdempotencyKey = IdempotencyKey,
            NextAttemptAt = NextAttemptAt,
            Callback = CallbackUrl is null ? null : new CallbackDelivery(CallbackUrl, CallbackState.Pending, 0, "", 0, null),
            HasOutput = Output is not null,
        };
}
