using Faas.Storage.Executions;
using Microsoft.AspNetCore.DataProtection;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Faas.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// Registers the PostgreSQL data source (ConnectionStrings:faasdb) through Aspire's Npgsql integration (health check,
    /// traces, metrics) and the stores.
    /// </summary>
    public static IHostApplicationBuilder AddFaasDatabase(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration.GetConnectionString(StorageOptions.DatabaseConnectionName)))
        {
            throw new InvalidOperationException($"ConnectionStrings:{StorageOptions.DatabaseConnectionName} is not set.");
        }

        builder.AddNpgsqlDataSource(StorageOptions.DatabaseConnectionName, configureDataSourceBuilder: PrepareOftenRunStatements);
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddSingleton<ArtifactStore>();
        builder.Services.AddSingleton<FunctionStore>();
        builder.Services.AddSingleton<ExecutionStore>();
        builder.Services.AddSingleton<AsyncExecutionStore>();
        builder.Services.AddSingleton<BuildStore>();
        builder.Services.AddSingleton<Identity.IdentityStore>();
        builder.Services.AddSingleton<Sinks.SinkCredentialStore>();
        return builder;
    }

    /// <summary>
    /// Unless the connection string says otherwise, statements run often are prepared automatically: the execution
    /// journal's upsert, thousands of times a second under asynchronous load, is otherwise parsed and planned by
    /// PostgreSQL on every batch, and that planning was most of the database's CPU.
    /// </summary>
    public static void PrepareOftenRunStatements(NpgsqlDataSourceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        }
    }

    /// <summary>A data source as the services make theirs (for tools and tests outside a service).</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        PrepareOftenRunStatements(builder);
        return builder.Build();
    }

    /// <summary>Brings the schema up to date before the service starts (see <see cref="DatabaseMigrationService"/>).</summary>
    public static IHostApplicationBuilder AddDatabaseMigrations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<DatabaseMigrationService>();
        return builder;
    }

    /// <summary>Sealing and unsealing of function secrets with Data Protection (section "DataProtection").</summary>
    public static IHostApplicationBuilder AddFunctionSecrets(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(Secrets.FunctionSecretsOptions.SectionName).Get<Secrets.FunctionSecretsOptions>()
            ?? new Secrets.FunctionSecretsOptions();
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("Faas");
        if (!string.IsNullOrWhiteSpace(options.KeyDirectory))
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(options.KeyDirectory));
        }

        builder.Services.AddSingleton<Secrets.FunctionSecrets>();
        return builder;
    }

    /// <summary>The group-committed journal of asynchronous execution transitions (needs the database).</summary>
    public static IHostApplicationBuilder AddExecutionJournal(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExecutionJournalOptions>().BindConfiguration("Executions:Journal")
            .Validate(o => o.MaxBatchSize > 0 && o.Capacity > 0 && o.MaxConcurrentBatches > 0, "Executions:Journal: MaxBatchSize, MaxConcurrentBatches and Capacity must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ExecutionJournal>();
        return builder;
    }

    /// <summary>The batched execution recorder (needs the database).</summary>
    public static IHostApplicationBuilder AddExecutionRecorder(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ExecutionRecorderOptions>().BindConfiguration("Executions:Recorder");
        builder.Services.AddSingleton<ExecutionRecorder>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExecutionRecorder>());
        return builder;
    }

    /// <summary>
    /// The functions' log writer (section "Logs"); with <paramref name="sweep"/>, also the sweeper of old lines and of
    /// tenants over their cap (one service of the mesh runs it).
    /// </summary>
    public static IHostApplicationBuilder AddFunctionLogs(this IHostApplicationBuilder builder, bool sweep = false)
    {
        builder.Services.AddOptions<Logs.LogOptions>().BindConfiguration(Logs.LogOptions.SectionName)
            .Validate(o => o.MaxBytesPerExecution > 0 && o.MaxLinesPerTenant > 0 && o.Capacity > 0 && o.MaxBatchLines > 0 && o.MaxFollowersPerTenant > 0,
                "Logs: MaxBytesPerExecution, MaxLinesPerTenant, Capacity, MaxBatchLines and MaxFollowersPerTenant must be positive.")
            .Validate(o => o.Retention > TimeSpan.Zero && o.SweepInterval > TimeSpan.Zero && o.FollowPollInterval > TimeSpan.Zero,
                "Logs: Retention, SweepInterval and FollowPollInterval must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Logs.FunctionLogStore>();
        builder.Services.AddSingleton<Logs.FunctionLogWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Logs.FunctionLogWriter>());
        if (sweep)
        {
            builder.Services.AddSingleton<Logs.FunctionLogSweeper>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Logs.FunctionLogSweeper>());
        }

        return builder;
    }
}
