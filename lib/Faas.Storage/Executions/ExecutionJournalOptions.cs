namespace Faas.Storage.Executions;

/// <summary>The execution journal (section "Executions:Journal").</summary>
public sealed class ExecutionJournalOptions
{
    /// <summary>Transitions written per statement at most.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Transitions waiting for the database before writers wait too.</summary>
    public int Capacity { get; set; } = 65_536;
}
