using Faas.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Faas.Storage;

public static class StorageExtensions
{
    /// <summary>Registers the PostgreSQL data source (ConnectionStrings:faasdb) and the stores.</summary>
    public static IHostApplicationBuilder AddFaasDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(StorageOptions.DatabaseConnectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{StorageOptions.DatabaseConnectionName} is not set.");
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddSingleton<ArtifactStore>();
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddNpgsql());
        return builder;
    }
}
