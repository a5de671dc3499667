using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Storage.Logs;

/// <summary>
/// Every <see cref="LogOptions.SweepInterval"/>, deletes log lines older than <see cref="LogOptions.Retention"/> and each
/// tenant's oldest lines past <see cref="LogOptions.MaxLinesPerTenant"/>.
/// </summary>
public sealed partial class FunctionLogSweeper(
    FunctionLogStore store, IOptions<LogOptions> options, TimeProvider timeProvider, ILogger<FunctionLogSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, timeProvider);
        do
        {
            try
            {
                var deleted = await SweepAsync(stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                {
                    LogSwept(logger, deleted);
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One sweep; returns the lines deleted.</summary>
    public Task<long> SweepAsync(CancellationToken cancellationToken) =>
        store.SweepAsync(timeProvider.GetUtcNow() - options.Value.Retention, options.Value.MaxLinesPerTenant, cancellationToken);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Deleted {Count} function log lines past their retention or their tenant's cap")]
    private static partial void LogSwept(ILogger logger, long count);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Sweeping function logs failed; trying again at the next sweep")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
