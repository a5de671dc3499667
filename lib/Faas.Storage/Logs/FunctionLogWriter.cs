using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Faas.Storage.Executions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Storage.Logs;

/// <summary>
/// Writes executions' log lines off the call's path: a caller hands an execution's lines over and moves on; a background
/// loop caps each execution (<see cref="LogOptions.MaxBytesPerExecution"/>) and writes them to PostgreSQL in batches,
/// retrying until the database takes them. A log never slows a call: past <see cref="LogOptions.Capacity"/> waiting
/// executions, new ones are dropped and counted (<c>faas.logs.dropped</c>).
/// </summary>
public sealed partial class FunctionLogWriter : BackgroundService
{
    private readonly Channel<ExecutionLog> channel;
    private readonly FunctionLogStore store;
    private readonly LogOptions options;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<FunctionLogWriter> logger;
    private readonly Counter<long> written;
    private readonly Counter<long> dropped;

    public FunctionLogWriter(FunctionLogStore store, IOptions<LogOptions> options, TimeProvider timeProvider, IMeterFactory meterFactory, ILogger<FunctionLogWriter> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.timeProvider = timeProvider;
        this.logger = logger;
        channel = Channel.CreateBounded<ExecutionLog>(new BoundedChannelOptions(this.options.Capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        var meter = meterFactory.Create("Faas.Logs");
        written = meter.CreateCounter<long>("faas.logs.written", description: "Function log lines written to the database");
        dropped = meter.CreateCounter<long>("faas.logs.dropped", description: "Executions whose log lines were dropped because the writer's backlog was full");
    }

    /// <summary>Bytes of log text one execution keeps.</summary>
    public int MaxBytesPerExecution => options.MaxBytesPerExecution;

    /// <summary>Whether asynchronous runs' stdout is logged (<see cref="LogOptions.AsyncStdout"/>).</summary>
    public bool LogsAsyncStdout => options.AsyncStdout;

    /// <summary>
    /// Queues an execution's lines (nothing when it has none and nothing was cut). <paramref name="droppedBytes"/>: what
    /// the sink already cut.
    /// </summary>
    public void Write(Guid tenantId, string functionName, int version, Guid executionId, IReadOnlyList<LogLineRecord> lines, long droppedBytes = 0)
    {
        if (lines.Count == 0 && droppedBytes == 0)
        {
            return;
        }

        var capped = LogLimits.Cap(lines, options.MaxBytesPerExecution, droppedBytes, timeProvider.GetUtcNow());
        if (!channel.Writer.TryWrite(new ExecutionLog(tenantId, functionName, version, executionId, capped)))
        {
            dropped.Add(1);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<ExecutionLog>();
        var reader = channel.Reader;
        while (await BatchWrites.WaitToReadAsync(reader, stoppingToken).ConfigureAwait(false))
        {
            if (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.FlushInterval, CancellationToken.None).ConfigureAwait(false);
            }

            var lines = 0;
            while (lines < options.MaxBatchLines && reader.TryRead(out var log))
            {
                batch.Add(log);
                lines += log.Lines.Count;
            }

            await WriteAsync(batch, lines, stoppingToken).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task WriteAsync(List<ExecutionLog> batch, int lines, CancellationToken stoppingToken)
    {
        if (await BatchWrites.WriteUntilTakenAsync(
            () => store.InsertAsync(batch, CancellationToken.None), (ex, attempt) => LogWriteFailed(logger, ex, lines, attempt), stoppingToken).ConfigureAwait(false))
        {
            written.Add(lines);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Writing {Count} function log lines failed (attempt {Attempt}); retrying")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, int attempt);
}
