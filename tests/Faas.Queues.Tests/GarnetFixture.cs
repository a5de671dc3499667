using Faas.Testing;

namespace Faas.Queues.Tests;

/// <summary>The embedded Garnet from the AppHost's app model (no services, no persistence), started once per run.</summary>
public sealed class GarnetFixture : IAsyncLifetime
{
    private FaasTestApp? app;

    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        app = await FaasTestingBuilder.Create(o =>
        {
            o.InfrastructureOnly = true;
            o.ConfigureAppHost = a => a.GarnetPersistence = false;
        }).BuildAsync();
        await app.StartAsync();
        ConnectionString = app.GetConnectionString(RedisOptions.ConnectionName);
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetFixture>
{
    public const string Name = "garnet";
}
