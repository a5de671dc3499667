using Faas.Storage.Postgres;
using Faas.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Faas.Storage.Tests;

/// <summary>
/// The real server for the whole run: PostgreSQL from the AppHost's app model (infrastructure only, no services),
/// the schema migrated once. Tests keep out of each other's way with their own function names and tenants.
/// </summary>
public sealed class StorageFixture : IAsyncLifetime
{
    private FaasTestApp? app;

    public string DatabaseConnectionString { get; private set; } = null!;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public FunctionStore Functions { get; private set; } = null!;

    public ArtifactStore Artifacts { get; private set; } = null!;

    public ExecutionStore Executions { get; private set; } = null!;

    public BuildStore Builds { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.InfrastructureOnly = true;
            o.ConfigureAppHost = a => a.GarnetPersistence = false;
        }).BuildAsync();
        await app.StartAsync();

        DatabaseConnectionString = app.GetConnectionString(StorageOptions.DatabaseConnectionName);
        DataSource = NpgsqlDataSource.Create(DatabaseConnectionString);
        await new DatabaseMigrator(DataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);

        Functions = new FunctionStore(DataSource);
        Artifacts = new ArtifactStore(DataSource);
        Executions = new ExecutionStore(DataSource);
        Builds = new BuildStore(DataSource, Functions);
    }

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>A name no other test uses.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>A tenant of the test's own, so listings hold exactly what the test created.</summary>
    public async Task<Guid> CreateTenantAsync()
    {
        var id = Guid.NewGuid();
        await using var command = DataSource.CreateCommand("INSERT INTO tenants (id, name) VALUES ($1, $2)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue("tenant-" + id.ToString("N"));
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// A host wired like a service against these servers: <paramref name="configure"/> adds what the test
    /// needs (e.g. <c>AddFaasDatabase().AddExecutionRecorder()</c>); <paramref name="settings"/> override configuration.
    /// </summary>
    public ServiceHost BuildHost(Action<HostApplicationBuilder> configure, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{StorageOptions.DatabaseConnectionName}"] = DatabaseConnectionString,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        configure(builder);
        return new ServiceHost(builder.Build());
    }
}

[CollectionDefinition(Name)]
public sealed class StorageCollection : ICollectionFixture<StorageFixture>
{
    public const string Name = "storage";
}
