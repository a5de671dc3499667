namespace Faas.Storage.Executions;

/// <summary>The execution journal (section "Executions:Journal").</summary>
public sealed class ExecutionJournalOptions
{
    /// <summary>Transitions written per statement at most.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// Batches committed at once (each on its own connection). One by default: every transition posted while a batch
    /// commits joins the next one, so the database runs and flushes one statement for many rows. More batches
    /// commit smaller ones sooner, and cost the database more per row.
    /// </summary>
    public int MaxConcurrentBatches { get; set; } = 1;

    /// <summary>Posted transitions waiting for the database before posting waits for the commit.</summary>
    public int Capacity { get; set; } = 65_536;
}
