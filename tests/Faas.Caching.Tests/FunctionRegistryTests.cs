using Faas.Queues;
using Faas.Storage;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Faas.Storage.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Faas.Caching.Tests;

/// <summary>
/// Two registries with their own caches and Redis connections, like two gateways, over the real
/// PostgreSQL and Garnet. Cache ages are an hour, so only a change notification can refresh an entry.
/// </summary>
[Collection(CachingCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FunctionRegistryTests(CachingFixture fixture) : IAsyncLifetime
{
    private static readonly Guid Tenant = Tenants.Default;

    private ServiceHost gatewayA = null!;
    private ServiceHost gatewayB = null!;

    private FunctionRegistry RegistryA => gatewayA.Services.GetRequiredService<FunctionRegistry>();

    private FunctionRegistry RegistryB => gatewayB.Services.GetRequiredService<FunctionRegistry>();

    private FunctionStore StoreB => gatewayB.Services.GetRequiredService<FunctionStore>();

    public async Task InitializeAsync()
    {
        gatewayA = await StartGatewayAsync();
        gatewayB = await StartGatewayAsync();
    }

    public async Task DisposeAsync()
    {
        await gatewayA.DisposeAsync();
        await gatewayB.DisposeAsync();
    }

    [Fact]
    public async Task A_version_deployed_through_one_instance_reaches_the_other_through_redis()
    {
        var name = CachingFixture.UniqueName("pubsub");
        await DeployAsync(name);
        Assert.Equal(1, (await ResolveAsync(RegistryA, name))?.Version);

        await DeployAsync(name);
        Assert.Equal(1, (await ResolveAsync(RegistryA, name))?.Version); // cached: the deploy alone is not seen
        await RegistryB.InvalidateAsync(Tenant, name);

        await Eventually.MatchesAsync(() => ResolveAsync(RegistryA, name), v => v?.Version == 2, "instance A to resolve version 2");
    }

    [Fact]
    public async Task A_cached_not_found_is_resolvable_after_a_deploy_and_invalidate()
    {
        var name = CachingFixture.UniqueName("notfound");
        Assert.Null(await ResolveAsync(RegistryA, name));

        await DeployAsync(name);
        Assert.Null(await ResolveAsync(RegistryA, name)); // "not found" is cached too
        await RegistryB.InvalidateAsync(Tenant, name);

        await Eventually.MatchesAsync(() => ResolveAsync(RegistryA, name), v => v?.Version == 1, "instance A to resolve the new function");
    }

    [Fact]
    public async Task A_deleted_function_stops_resolving_everywhere_after_invalidate()
    {
        var name = CachingFixture.UniqueName("deleted");
        await DeployAsync(name);
        Assert.NotNull(await ResolveAsync(RegistryA, name));
        Assert.NotNull(await RegistryA.ResolveAsync(Tenant, name, 1, CancellationToken.None));

        await StoreB.DeleteAsync(Tenant, name, CancellationToken.None);
        await RegistryB.InvalidateAsync(Tenant, name);

        await Eventually.HoldsAsync(
            async () => await ResolveAsync(RegistryA, name) is null && await RegistryA.ResolveAsync(Tenant, name, 1, CancellationToken.None) is null,
            "instance A to forget the latest and the pinned version");
    }

    [Fact]
    public async Task Invalidating_one_function_leaves_the_others_cached()
    {
        var changed = CachingFixture.UniqueName("changed");
        var untouched = CachingFixture.UniqueName("untouched");
        await DeployAsync(changed);
        await DeployAsync(untouched);
        await ResolveAsync(RegistryA, changed);
        await ResolveAsync(RegistryA, untouched);

        await DeployAsync(changed);
        await DeployAsync(untouched);
        await RegistryB.InvalidateAsync(Tenant, changed);

        await Eventually.MatchesAsync(() => ResolveAsync(RegistryA, changed), v => v?.Version == 2, "the changed function to refresh");
        Assert.Equal(1, (await ResolveAsync(RegistryA, untouched))?.Version);
    }

    [Fact]
    public async Task The_instance_that_invalidates_sees_the_change_at_once()
    {
        var name = CachingFixture.UniqueName("local");
        await DeployAsync(name);
        await ResolveAsync(RegistryB, name);

        await DeployAsync(name);
        await RegistryB.InvalidateAsync(Tenant, name);

        Assert.Equal(2, (await ResolveAsync(RegistryB, name))?.Version);
    }

    private async Task<ServiceHost> StartGatewayAsync()
    {
        var host = fixture.BuildHost(
            b => b.AddFaasDatabase().AddFaasRedis().AddFunctionRegistry(),
            new Dictionary<string, string?> { ["Registry:MaxAge"] = "01:00:00", ["Registry:NotFoundMaxAge"] = "01:00:00" });
        await host.StartAsync();
        return host;
    }

    private Task<FunctionVersion> DeployAsync(string name) =>
        StoreB.AddVersionAsync(Tenant, name, "wat", VersionState.Ready, null, "(module)", new FunctionConfig(), "", CancellationToken.None);

    private static async Task<FunctionVersion?> ResolveAsync(FunctionRegistry registry, string name) =>
        await registry.ResolveAsync(Tenant, name, 0, CancellationToken.None);
}
