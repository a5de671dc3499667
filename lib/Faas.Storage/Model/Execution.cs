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
    string TraceId);
