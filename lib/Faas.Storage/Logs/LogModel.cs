namespace Faas.Storage.Logs;

/// <summary>Where a log line came from (stored as its number).</summary>
public enum LogStream : short
{
    /// <summary>The function's stderr.</summary>
    Stderr = 1,

    /// <summary>An asynchronous run's stdout.</summary>
    Stdout = 2,

    /// <summary>A note of the platform about the execution's log (how much was cut).</summary>
    Platform = 3,
}

/// <summary>One line of a function's log as it is written.</summary>
public readonly record struct LogLineRecord(DateTimeOffset Time, LogStream Stream, string Text);

/// <summary>The lines of one execution (or one attempt of it), handed to <see cref="FunctionLogWriter"/>.</summary>
public sealed record ExecutionLog(Guid TenantId, string FunctionName, int Version, Guid ExecutionId, IReadOnlyList<LogLineRecord> Lines);

/// <summary>A stored line, with its position in the log.</summary>
public sealed record StoredLogLine(long Id, Guid ExecutionId, string FunctionName, int Version, DateTimeOffset Time, LogStream Stream, string Text);
