namespace Faas.Storage.Executions;

/// <summary>Batching of execution records (section "Executions:Recorder").</summary>
public sealed class ExecutionRecorderOptions
{
    /// <summary>Records written per round trip at most.</summary>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>How long a record may wait for companions before its batch is written.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Records buffered before writers wait for the database to catch up.</summary>
    public int Capacity { get; set; } = 100_000;
}
