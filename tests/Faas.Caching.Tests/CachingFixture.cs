using Faas.Queues;
using Faas.Storage;
using Faas.Storage.Postgres;
using Faas.Storage.Tests;
using Faas.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Faas.Caching.Tests;

/// <summary>
/// The real servers for the whole run: Garnet and PostgreSQL from the AppHost's app model (no services), the schema
/// migrated once. Tests keep out of each other's way with their own function names.
/// </summary>
public sealed class CachingFixture : IAsyncLifetime
{
    private FaasTestApp? app;

    public string DatabaseConnectionString { get; private set; } = null!;

    public string RedisConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.InfrastructureOnly = true;
            o.ConfigureAppHost = a => a.GarnetPersistence = false;
        }).BuildAsync();
        await app.StartAsync();

        DatabaseConnectionString = app.GetConnectionString(StorageOptions.DatabaseConnectionName);
        RedisConnectionString = app.GetConnectionString(RedisOptions.ConnectionName);
        await using var dataSource = NpgsqlDataSource.Create(DatabaseConnectionString);
        await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>A name no other test uses.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>
    /// A host wired like a service against these servers: <paramref name="configure"/> adds what the test
    /// needs (e.g. <c>AddFaasDatabase().AddFaasRedis().AddFunctionRegistry()</c>); <paramref name="settings"/> override configuration.
    /// </summary>
    public ServiceHost BuildHost(Action<HostApplicationBuilder> configure, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing", DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{StorageOptions.DatabaseConnectionName}"] = DatabaseConnectionString,
            [$"ConnectionStrings:{RedisOptions.ConnectionName}"] = RedisConnectionString,
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
public sealed class CachingCollection : ICollectionFixture<CachingFixture>
{
    public const string Name = "caching";
}
