using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Faas.Shared;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Storage.Executions;

/// <summary>
/// Group-committed writes of asynchronous execution transitions. A write joins the next batch; up to
/// <see cref="ExecutionJournalOptions.MaxConcurrentBatches"/> batches are committed at once, each one
/// statement, and a batch that fails is retried until the database takes it. <see cref="WriteAsync"/>
/// completes once its transition is committed (what a consumer waits for before acknowledging a queue
/// message); <see cref="PostAsync"/> only hands it over, and the transition stays readable through
/// <see cref="TryGetPending"/> until it is committed. The rules of <see cref="AsyncExecutionStore"/> make
/// the order in which concurrent batches commit irrelevant.
/// </summary>
public sealed partial class ExecutionJournal
{
    private readonly AsyncExecutionStore store;
    private readonly ExecutionJournalOptions options;
    private readonly ILogger<ExecutionJournal> logger;
    private readonly CallBatcher<AsyncTransition, bool> batcher;
    private readonly ConcurrentDictionary<Guid, AsyncTransition> pending = new();
    private readonly Counter<long> written;
    private readonly Histogram<long> batchSizes;
    private int posted;

    public ExecutionJournal(AsyncExecutionStore store, IOptions<ExecutionJournalOptions> options, IMeterFactory meterFactory, ILogger<ExecutionJournal> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        batcher = new CallBatcher<AsyncTransition, bool>(CommitAsync, this.options.MaxBatchSize, this.options.MaxConcurrentBatches);
        var meter = meterFactory.Create("Faas.Executions");
        written = meter.CreateCounter<long>("faas.executions.transitions", description: "Asynchronous execution transitions committed");
        batchSizes = meter.CreateHistogram<long>("faas.executions.transition_batch", description: "Transitions per committed batch");
        meter.CreateObservableGauge("faas.executions.transition_backlog", () => Volatile.Read(ref posted), description: "Posted transitions not yet committed");
    }

    /// <summary>Writes one transition; completes when it is committed.</summary>
    public Task WriteAsync(AsyncTransition transition, CancellationToken cancellationToken = default) =>
        batcher.SubmitAsync(transition).WaitAsync(cancellationToken);

    /// <summary>
    /// Hands a transition over for writing and returns at once, unless <see cref="ExecutionJournalOptions.Capacity"/>
    /// transitions are already waiting: then it waits for this one's commit, so a slow database slows writers down
    /// instead of filling memory.
    /// </summary>
    public async ValueTask PostAsync(AsyncTransition transition, CancellationToken cancellationToken = default)
    {
        pending[transition.Id] = transition;
        var backlog = Interlocked.Increment(ref posted);
        var commit = batcher.SubmitAsync(transition);
        _ = commit.ContinueWith(
            (_, state) =>
            {
                var (journal, t) = ((ExecutionJournal, AsyncTransition))state!;
                journal.pending.TryRemove(new KeyValuePair<Guid, AsyncTransition>(t.Id, t));
                Interlocked.Decrement(ref journal.posted);
            },
            (this, transition), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (backlog > options.Capacity)
        {
            await commit.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A posted transition not yet committed (the newest of its execution).</summary>
    public bool TryGetPending(Guid id, out AsyncTransition transition) => pending.TryGetValue(id, out transition!);

    private async Task<IReadOnlyList<bool>> CommitAsync(IReadOnlyList<AsyncTransition> batch)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.ApplyAsync(batch, CancellationToken.None).ConfigureAwait(false);
                written.Add(batch.Count);
                batchSizes.Record(batch.Count);
                return new bool[batch.Count];
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // Retried until the database takes it: writers wait (or their queue messages wait unacknowledged).
                LogWriteFailed(logger, ex, batch.Count, attempt);
                await Task.Delay(delay).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2_000));
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Writing {Count} execution transitions failed (attempt {Attempt}); retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, int attempt);
}
