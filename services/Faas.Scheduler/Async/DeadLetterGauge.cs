using System.Diagnostics.Metrics;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Async;

/// <summary>Exports the dead letters per function as a gauge, read from the database every so often (never on a metrics scrape).</summary>
public sealed partial class DeadLetterGauge : BackgroundService
{
    private readonly AsyncExecutionStore store;
    private readonly AsyncOptions options;
    private readonly ILogger<DeadLetterGauge> logger;
    private volatile IReadOnlyList<(Guid TenantId, string Function, long Count)> counts = [];

    public DeadLetterGauge(AsyncExecutionStore store, IOptions<AsyncOptions> options, IMeterFactory meterFactory, ILogger<DeadLetterGauge> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.logger = logger;
        meterFactory.Create(SchedulerTelemetry.MeterName).CreateObservableGauge(
            "faas.async.dead_letters",
            () => counts.Select(c => new Measurement<long>(c.Count, new KeyValuePair<string, object?>("tenant", c.TenantId.ToString()), new KeyValuePair<string, object?>("function", c.Function))),
            description: "Dead-lettered executions waiting for a redrive, per function");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.DeadLetterGaugeInterval);
        do
        {
            try
            {
                counts = await store.CountDeadLettersByFunctionAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogReadFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Dead letter counts not read: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, string reason);
}
