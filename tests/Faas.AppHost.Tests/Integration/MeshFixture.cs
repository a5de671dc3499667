using Faas.Testing;

namespace Faas.AppHost.Tests.Integration;

/// <summary>One real mesh (Garnet, PostgreSQL, two workers, scheduler, compiler, gateway) shared by the tests of <see cref="MeshCollection"/>.</summary>
public sealed class MeshFixture : IAsyncLifetime
{
    public FaasTestApp App { get; private set; } = null!;

    public static readonly string[] AllResources = ["redis", "postgres", "sinkmanager", "worker-0", "worker-1", "jobs", "scheduler", "compiler", "gateway"];

    public static readonly string[] Services = ["sinkmanager", "worker-0", "worker-1", "jobs", "scheduler", "compiler", "gateway"];

    public async Task InitializeAsync()
    {
        App = await FaasTestingBuilder.Create(o => o.Workers = 2).BuildAsync();
        await App.StartAsync();
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class MeshCollection : ICollectionFixture<MeshFixture>
{
    public const string Name = "mesh";
}
