using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Storage.Executions;

/// <summary>
/// Records executions off the hot path: callers hand a record over in memory and move on; a background
/// loop writes them to PostgreSQL in batches, retrying until the database takes them. Records not yet
/// written stay readable through <see cref="TryGetPending"/>, so a read right after an invoke finds it.
/// </summary>
public sealed partial class ExecutionRecorder : BackgroundService
{
    private readonly Channel<Execution> channel;
    private readonly ConcurrentDictionary<Guid, Execution> pending = new();
    private readonly ExecutionStore store;
    private readonly ExecutionRecorderOptions options;
    private readonly ILogger<ExecutionRecorder> logger;
    private readonly Counter<long> written;
    private readonly Counter<long> writeFailures;

    public ExecutionRecorder(ExecutionStore store, IOptions<ExecutionRecorderOptions> options, IMeterFactory meterFactory, ILogger<ExecutionRecorder> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        channel = Channel.CreateBounded<Execution>(new BoundedChannelOptions(this.options.Capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var meter = meterFactory.Create("Faas.Executions");
        written = meter.CreateCounter<long>("faas.executions.recorded", description: "Execution records written to the database");
        writeFailures = meter.CreateCounter<long>("faas.executions.record_failures", description: "Failed batch writes (retried)");
        meter.CreateObservableGauge("faas.executions.record_backlog", () => pending.Count, description: "Execution records not yet written");
    }

    /// <summary>Queues a record for writing. Completes at once unless the backlog is full.</summary>
    public ValueTask RecordAsync(Execution execution, CancellationToken cancellationToken = default)
    {
        pending[execution.Id] = execution;
        return channel.Writer.TryWrite(execution) ? ValueTask.CompletedTask : channel.Writer.WriteAsync(execution, cancellationToken);
    }

    /// <summary>A record handed over but not yet written.</summary>
    public bool TryGetPending(Guid id, out Execution execution) => pending.TryGetValue(id, out execution!);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Execution>(options.MaxBatchSize);
        var reader = channel.Reader;
        while (await BatchWrites.WaitToReadAsync(reader, stoppingToken).ConfigureAwait(false))
        {
            // Give a burst a moment to fill the batch: one round trip for many records.
            if (reader.Count < options.MaxBatchSize && !stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.FlushInterval, CancellationToken.None).ConfigureAwait(false);
            }

            while (batch.Count < options.MaxBatchSize && reader.TryRead(out var execution))
            {
                batch.Add(execution);
            }

            await WriteAsync(batch, stoppingToken).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>
    /// Stops the loop, then writes whatever is still buffered: the loop may never have run at all if the
    /// host stopped before it was scheduled, and records handed over must not be lost at shutdown.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        var batch = new List<Execution>(options.MaxBatchSize);
        while (channel.Reader.TryRead(out var execution))
        {
            batch.Add(execution);
            if (batch.Count == options.MaxBatchSize)
            {
                await WriteAsync(batch, new CancellationToken(canceled: true)).ConfigureAwait(false);
                batch.Clear();
            }
        }

        await WriteAsync(batch, new CancellationToken(canceled: true)).ConfigureAwait(false);
    }

    private async Task WriteAsync(List<Execution> batch, CancellationToken stoppingToken)
    {
        var taken = await BatchWrites.WriteUntilTakenAsync(
            () => store.UpsertAsync(batch, CancellationToken.None),
            (ex, attempt) =>
            {
                writeFailures.Add(1);
                LogWriteFailed(logger, ex, batch.Count, attempt);
            },
            stoppingToken).ConfigureAwait(false);
        if (!taken)
        {
            LogRecordsLostAtShutdown(logger, batch.Count);
            return;
        }

        written.Add(batch.Count);
        foreach (var execution in batch)
        {
            pending.TryRemove(new KeyValuePair<Guid, Execution>(execution.Id, execution));
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Writing {Count} execution records failed (attempt {Attempt}); retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Shutting down with {Count} execution records the database would not take")]
    private static partial void LogRecordsLostAtShutdown(ILogger logger, int count);
}
