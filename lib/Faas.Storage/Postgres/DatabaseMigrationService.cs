using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Faas.Storage.Postgres;

/// <summary>Migrates the schema before the service takes traffic, waiting for the database if it is still starting.</summary>
public sealed partial class DatabaseMigrationService(DatabaseMigrator migrator, ILogger<DatabaseMigrationService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await migrator.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException ex) when (DateTime.UtcNow < deadline && ex.IsTransient)
            {
                LogDatabaseNotReady(logger, ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Database not ready yet: {Reason}")]
    private static partial void LogDatabaseNotReady(ILogger logger, string reason);
}
