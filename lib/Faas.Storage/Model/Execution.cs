namespace Faas.Storage.Model;

public enum ExecutionStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    DeadLettered,
    Rejected,
    Cancelled,
}

public enum ExecutionKind
{
    Sync,
    Async,
}

/// <summary>The record of one execution.</summary>
public sealed record Execution(
    Guid Id,
    Guid TenantId,
    Guid FunctionId,
    string FunctionName,
    int Version,
    ExecutionStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    long QueueMicros,
    long RunMicros,
    long InputBytes,
    long OutputBytes,
    int ExitCode,
    string Error,
    string StderrTail,
    string Worker,
    string TraceId)
{
    public ExecutionKind Kind { get; init; } = ExecutionKind.Sync;

    /// <summary>Attempts started so far (asynchronous executions).</summary>
    public int Attempts { get; init; }

    /// <summary>Every attempt, oldest first.</summary>
    public IReadOnlyList<ExecutionAttempt> AttemptLog { get; init; } = [];

    public int MaxRetries { get; init; }

    public string? IdempotencyKey { get; init; }

    /// <summary>When a failed asynchronous execution runs again.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    public int Redrives { get; init; }

    public CallbackDelivery? Callback { get; init; }

    /// <summary>Whether the output is stored (finished asynchronous executions).</summary>
    public bool HasOutput { get; init; }

    /// <summary>The request and the status answered, for a call of an HTTP function; null otherwise.</summary>
    public HttpExchange? Http { get; init; }

    public static bool IsTerminal(ExecutionStatus status) =>
        status is ExecutionStatus.Succeeded or ExecutionStatus.Failed or ExecutionStatus.TimedOut or ExecutionStatus.DeadLettered or ExecutionStatus.Rejected or ExecutionStatus.Cancelled;
}

/// <summary>One attempt of an asynchronous execution. <see cref="Outcome"/> is empty while it runs.</summary>
public sealed record ExecutionAttempt(
    int Number,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string Worker,
    string Outcome,
    string Error,
    int ExitCode,
    long RunMicros);

public enum CallbackState
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>Delivery of an execution's result to its callback URL.</summary>
public sealed record CallbackDelivery(string Url, CallbackState State, int Attempts, string LastError, int LastStatusCode, DateTimeOffset? DeliveredAt);

/// <summary>
/// An HTTP function's call as recorded: the method, the path after the function's name (as it came, with its query), and
/// the status the caller got (0 while running).
/// </summary>
public sealed record HttpExchange(string Method, string Path, int StatusCode);
