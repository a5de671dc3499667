using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Storage.Executions;

/// <summary>
/// Durable, group-committed writes of asynchronous execution transitions: a caller awaits its write, and
/// everything that arrived while one batch was being written goes into the next, so many concurrent
/// writers share one round trip. A write completes only once PostgreSQL committed it; acknowledging a
/// queue message after that means no state is lost whatever stops next.
/// </summary>
public sealed partial class ExecutionJournal : BackgroundService
{
    private readonly Channel<Entry> channel;
    private readonly AsyncExecutionStore store;
    private readonly ExecutionJournalOptions options;
    private readonly ILogger<ExecutionJournal> logger;
    private readonly Counter<long> written;
    private readonly Histogram<long> batchSizes;

    public ExecutionJournal(AsyncExecutionStore store, IOptions<ExecutionJournalOptions> options, IMeterFactory meterFactory, ILogger<ExecutionJournal> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        channel = Channel.CreateBounded<Entry>(new BoundedChannelOptions(this.options.Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var meter = meterFactory.Create("Faas.Executions");
        written = meter.CreateCounter<long>("faas.executions.transitions", description: "Asynchronous execution transitions committed");
        batchSizes = meter.CreateHistogram<long>("faas.executions.transition_batch", description: "Transitions per committed batch");
    }

    /// <summary>Writes one transition; completes when it is committed.</summary>
    public async Task WriteAsync(AsyncTransition transition, CancellationToken cancellationToken = default)
    {
        var entry = new Entry(transition, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await channel.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
        await entry.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = channel.Reader;
        var batch = new List<Entry>(options.MaxBatchSize);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (batch.Count < options.MaxBatchSize && reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                await WriteBatchAsync(batch, stoppingToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes what is still buffered (a last attempt), and fails the writers it could not serve.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        channel.Writer.TryComplete();
        var batch = new List<Entry>();
        while (channel.Reader.TryRead(out var entry))
        {
            batch.Add(entry);
        }

        try
        {
            await store.ApplyAsync(batch.ConvertAll(e => e.Transition), cancellationToken).ConfigureAwait(false);
            batch.ForEach(e => e.Done.TrySetResult());
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            batch.ForEach(e => e.Done.TrySetException(new InvalidOperationException("The execution journal stopped before the write was committed.", ex)));
        }
    }

    private async Task WriteBatchAsync(List<Entry> batch, CancellationToken stoppingToken)
    {
        var transitions = batch.ConvertAll(e => e.Transition);
        var delay = TimeSpan.FromMilliseconds(50);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.ApplyAsync(transitions, CancellationToken.None).ConfigureAwait(false);
                written.Add(batch.Count);
                batchSizes.Record(batch.Count);
                batch.ForEach(e => e.Done.TrySetResult());
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogWriteFailed(logger, ex, batch.Count, attempt);
                if (stoppingToken.IsCancellationRequested)
                {
                    batch.ForEach(e => e.Done.TrySetException(ex));
                    return;
                }

                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2_000));
            }
        }
    }

    private sealed record Entry(AsyncTransition Transition, TaskCompletionSource Done);

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Writing {Count} execution transitions failed (attempt {Attempt}); retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, int attempt);
}
