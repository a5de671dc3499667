using System.Diagnostics.Metrics;
using Faas.Queues;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Async;

/// <summary>
/// Exports each function's asynchronous backlog by name as <c>faas.async.backlog</c> with a <c>state</c> of
/// queued, delayed, running or dead_lettered: queue depths read from Redis and dead letters from the
/// database every <see cref="AsyncOptions.BacklogGaugeInterval"/> (never on a metrics scrape).
/// </summary>
public sealed partial class AsyncBacklogGauge : BackgroundService
{
    private readonly ReliableQueues queues;
    private readonly AsyncExecutionStore store;
    private readonly AsyncOptions options;
    private readonly ILogger<AsyncBacklogGauge> logger;
    private volatile IReadOnlyList<Measurement<long>> measurements = [];

    public AsyncBacklogGauge(ReliableQueues queues, AsyncExecutionStore store, IOptions<AsyncOptions> options, IMeterFactory meterFactory, ILogger<AsyncBacklogGauge> logger)
    {
        this.queues = queues;
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        meterFactory.Create(SchedulerTelemetry.MeterName).CreateObservableGauge(
            "faas.async.backlog", () => measurements, description: "Asynchronous invocations per function and state (queued, delayed, running, dead_lettered)");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.BacklogGaugeInterval);
        do
        {
            try
            {
                measurements = await ReadAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or StackExchange.Redis.RedisException or TimeoutException)
            {
                LogReadFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<IReadOnlyList<Measurement<long>>> ReadAsync(CancellationToken cancellationToken)
    {
        var functionQueues = (await queues.ListAsync().ConfigureAwait(false))
            .Where(q => q.Name.StartsWith(QueueNames.InvocationsPrefix, StringComparison.Ordinal))
            .Select(q => (Queue: q, FunctionId: Guid.TryParseExact(q.Name[QueueNames.InvocationsPrefix.Length..], "N", out var id) ? id : Guid.Empty))
            .Where(q => q.FunctionId != Guid.Empty)
            .ToArray();
        var names = await store.GetFunctionNamesAsync(functionQueues.Select(q => q.FunctionId).ToArray(), cancellationToken).ConfigureAwait(false);
        var result = new List<Measurement<long>>();
        foreach (var (queue, functionId) in functionQueues)
        {
            if (!names.TryGetValue(functionId, out var function))
            {
                continue; // deleted
            }

            var counts = await queue.CountAsync().ConfigureAwait(false);
            result.Add(Measure(counts.Ready, function.TenantId, function.Name, "queued"));
            result.Add(Measure(counts.Delayed, function.TenantId, function.Name, "delayed"));
            result.Add(Measure(counts.Leased, function.TenantId, function.Name, "running"));
        }

        foreach (var (tenantId, name, count) in await store.CountDeadLettersByFunctionAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(Measure(count, tenantId, name, "dead_lettered"));
        }

        return result;
    }

    private static Measurement<long> Measure(long value, Guid tenantId, string function, string state) =>
        new(value, new KeyValuePair<string, object?>("tenant", tenantId.ToString()), new KeyValuePair<string, object?>("function", function), new KeyValuePair<string, object?>("state", state));

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Asynchronous backlog not read: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);
}
