using System.Diagnostics.Metrics;
using Faas.Compiler.Builds;
using Faas.Queues;
using Faas.Storage;
using Faas.Storage.Postgres;
using Faas.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Faas.Compiler.Tests.Service;

/// <summary>
/// The compiler service's pipeline on real servers: Garnet and PostgreSQL from the AppHost's app model (no
/// services), the schema migrated, and the stores, the builds queue and a <see cref="BuildProcessor"/> wired
/// as the service wires them, building with the real toolchains.
/// </summary>
public sealed class BuildServiceFixture : IAsyncLifetime
{
    private readonly CompilerFixture compilers = new();
    private readonly ServiceProvider metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private FaasTestApp? app;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public FunctionStore Functions { get; private set; } = null!;

    public BuildStore Builds { get; private set; } = null!;

    public ArtifactStore Artifacts { get; private set; } = null!;

    public FunctionChangeNotifier Notifier { get; private set; } = null!;

    public BuildQueue Queue { get; private set; } = null!;

    public BuildServiceOptions Options { get; } = new() { MaxAttempts = 3, LeaseDuration = TimeSpan.FromSeconds(5), RecoveryInterval = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.InfrastructureOnly = true;
            o.ConfigureAppHost = a => a.GarnetPersistence = false;
        }).BuildAsync();
        await app.StartAsync();

        DataSource = NpgsqlDataSource.Create(app.GetConnectionString(StorageOptions.DatabaseConnectionName));
        await new DatabaseMigrator(DataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(CancellationToken.None);
        Redis = await ConnectionMultiplexer.ConnectAsync(app.GetConnectionString(RedisOptions.ConnectionName));
        Functions = new FunctionStore(DataSource);
        Builds = new BuildStore(DataSource, Functions);
        Artifacts = new ArtifactStore(DataSource);
        Notifier = new FunctionChangeNotifier(Redis);
        Queue = new BuildQueue(new ReliableQueues(Redis, MsOptions.Create(new ReliableQueueOptions()), TimeProvider.System, metrics.GetRequiredService<IMeterFactory>()));
    }

    public BuildProcessor CreateProcessor() => new(
        Builds, Artifacts, compilers.Builder, Notifier, new CompilerTelemetry(metrics.GetRequiredService<IMeterFactory>()),
        TimeProvider.System, MsOptions.Create(Options), NullLogger<BuildProcessor>.Instance);

    public BuildConsumer CreateConsumer(BuildProcessor processor) =>
        new(Queue, processor, MsOptions.Create(Options), TimeProvider.System, NullLogger<BuildConsumer>.Instance);

    public BuildRecovery CreateRecovery(TimeProvider timeProvider) =>
        new(Builds, Queue, MsOptions.Create(Options), timeProvider, NullLogger<BuildRecovery>.Instance);

    public async Task DisposeAsync()
    {
        Redis?.Dispose();
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        if (app is not null)
        {
            await app.DisposeAsync();
        }

        metrics.Dispose();
        compilers.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BuildServiceCollection : ICollectionFixture<BuildServiceFixture>
{
    public const string Name = "Build service";
}
