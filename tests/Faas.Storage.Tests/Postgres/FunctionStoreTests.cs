using Faas.Storage.Model;
using Faas.Storage.Postgres;

namespace Faas.Storage.Tests.Postgres;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FunctionStoreTests(StorageFixture fixture)
{
    private static readonly Guid DefaultTenant = Tenants.Default;

    private FunctionStore Store => fixture.Functions;

    [Fact]
    public async Task First_deploy_is_version_1_and_the_next_is_version_2()
    {
        var name = StorageFixture.UniqueName("deploy");

        var first = await DeployAsync(DefaultTenant, name, description: "first");
        var second = await DeployAsync(DefaultTenant, name, description: "second");

        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
        Assert.Equal(first.FunctionId, second.FunctionId);
        Assert.Equal(name, second.FunctionName);
        Assert.Equal(DefaultTenant, second.TenantId);
    }

    [Fact]
    public async Task A_new_version_leaves_the_earlier_ones_as_they_were()
    {
        var name = StorageFixture.UniqueName("immutable");
        var first = await DeployAsync(DefaultTenant, name, new FunctionConfig { TimeoutMs = 1_000 }, "first");

        await DeployAsync(DefaultTenant, name, new FunctionConfig { TimeoutMs = 2_000 }, "second");

        var stored = await Store.GetVersionAsync(DefaultTenant, name, 1, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal("first", stored.Description);
        Assert.Equal(1_000, stored.Config.TimeoutMs);
        Assert.Equal(first.CreatedAt, stored.CreatedAt);
    }

    [Fact]
    public async Task Version_0_resolves_to_the_latest_version()
    {
        var name = StorageFixture.UniqueName("latest");
        await DeployAsync(DefaultTenant, name, description: "first");
        await DeployAsync(DefaultTenant, name, description: "second");
        await DeployAsync(DefaultTenant, name, description: "third");

        var latest = await Store.GetVersionAsync(DefaultTenant, name, 0, CancellationToken.None);

        Assert.NotNull(latest);
        Assert.Equal(3, latest.Version);
        Assert.Equal("third", latest.Description);
    }

    [Fact]
    public async Task An_unknown_function_or_version_is_null()
    {
        var name = StorageFixture.UniqueName("unknown");
        await DeployAsync(DefaultTenant, name);

        Assert.Null(await Store.GetVersionAsync(DefaultTenant, name, 2, CancellationToken.None));
        Assert.Null(await Store.GetVersionAsync(DefaultTenant, StorageFixture.UniqueName("never"), 0, CancellationToken.None));
        Assert.Null(await Store.GetAsync(DefaultTenant, StorageFixture.UniqueName("never"), CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_deploys_of_a_new_function_get_consecutive_versions()
    {
        var name = StorageFixture.UniqueName("race");

        var versions = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => DeployAsync(DefaultTenant, name))));

        Assert.Equal(Enumerable.Range(1, 10), versions.Select(v => v.Version).Order());
        Assert.Single(versions.Select(v => v.FunctionId).Distinct());
    }

    [Fact]
    public async Task A_module_version_reports_its_artifact_size()
    {
        var name = StorageFixture.UniqueName("module");
        var wasm = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var sha256 = await fixture.Artifacts.PutAsync(wasm, CancellationToken.None);

        var version = await Store.AddVersionAsync(
            DefaultTenant, name, "wasm", VersionState.Ready, sha256, null, new FunctionConfig(), "", CancellationToken.None);

        Assert.Equal(sha256, version.ModuleSha256);
        Assert.Equal(300, version.ModuleSizeBytes);
        Assert.Equal(VersionState.Ready, version.State);
        Assert.Equal("wasm", version.Language);
    }

    [Fact]
    public async Task Config_round_trips_with_env_mode_and_limits()
    {
        var name = StorageFixture.UniqueName("config");
        var config = new FunctionConfig
        {
            TimeoutMs = 1_234,
            MemoryMb = 256,
            MaxConcurrency = 7,
            QueueCapacity = 99,
            MaxRetries = 0,
            Mode = ExecutionMode.Job,
            Env = new Dictionary<string, string> { ["API_URL"] = "https://example.test/a?b=c", ["camelCase"] = "kept", ["EMPTY"] = "" },
            MinWarm = 2,
            MaxWarm = 5,
            SealedSecrets = "CfDJ8-sealed-elsewhere",
            SecretNames = ["DB_PASSWORD", "TOKEN"],
        };

        await DeployAsync(DefaultTenant, name, config);
        var stored = (await Store.GetVersionAsync(DefaultTenant, name, 1, CancellationToken.None))!.Config;

        Assert.Equal(config with { Env = stored.Env, SecretNames = stored.SecretNames }, stored);
        Assert.Equal(config.Env.OrderBy(e => e.Key, StringComparer.Ordinal), stored.Env.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(config.SecretNames, stored.SecretNames);
    }

    [Fact]
    public async Task List_pages_by_name_and_the_pages_join_into_the_whole_ordered_list()
    {
        var tenant = await fixture.CreateTenantAsync();
        string[] names = ["golf", "alpha", "echo", "charlie", "india", "bravo", "hotel", "delta", "foxtrot"];
        foreach (var name in names)
        {
            await DeployAsync(tenant, name);
        }

        await DeployAsync(tenant, "echo", description: "echo v2");

        var pages = new List<Page<FunctionSummary>>();
        string? token = null;
        do
        {
            var page = await Store.ListAsync(tenant, 4, token, CancellationToken.None);
            pages.Add(page);
            token = page.NextPageToken;
        }
        while (token is not null && pages.Count < 10);

        Assert.Equal([4, 4, 1], pages.Select(p => p.Items.Count));
        var listed = pages.SelectMany(p => p.Items).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Select(f => f.Name));
        var echo = listed.Single(f => f.Name == "echo");
        Assert.Equal(2, echo.VersionCount);
        Assert.Equal(2, echo.Latest!.Version);
        Assert.Equal("echo v2", echo.Latest.Description);
    }

    [Fact]
    public async Task A_page_that_exactly_fills_the_list_has_no_next_page()
    {
        var tenant = await fixture.CreateTenantAsync();
        await DeployAsync(tenant, "one");
        await DeployAsync(tenant, "two");

        var page = await Store.ListAsync(tenant, 2, null, CancellationToken.None);

        Assert.Equal(2, page.Items.Count);
        Assert.Null(page.NextPageToken);
    }

    [Fact]
    public async Task List_versions_pages_newest_first()
    {
        var name = StorageFixture.UniqueName("versions");
        for (var i = 0; i < 5; i++)
        {
            await DeployAsync(DefaultTenant, name);
        }

        var first = await Store.ListVersionsAsync(DefaultTenant, name, 2, null, CancellationToken.None);
        var second = await Store.ListVersionsAsync(DefaultTenant, name, 2, first!.NextPageToken, CancellationToken.None);
        var third = await Store.ListVersionsAsync(DefaultTenant, name, 2, second!.NextPageToken, CancellationToken.None);

        Assert.Equal([5, 4], first.Items.Select(v => v.Version));
        Assert.Equal([3, 2], second.Items.Select(v => v.Version));
        Assert.Equal([1], third!.Items.Select(v => v.Version));
        Assert.Null(third.NextPageToken);
    }

    [Fact]
    public async Task List_versions_of_an_unknown_function_is_null()
    {
        Assert.Null(await Store.ListVersionsAsync(DefaultTenant, StorageFixture.UniqueName("never"), 10, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_page_token_that_is_not_a_version_is_rejected()
    {
        var name = StorageFixture.UniqueName("badtoken");
        await DeployAsync(DefaultTenant, name);

        await Assert.ThrowsAsync<InvalidPageTokenException>(() =>
            Store.ListVersionsAsync(DefaultTenant, name, 10, "bm90LWEtbnVtYmVy", CancellationToken.None)); // "not-a-number"
        await Assert.ThrowsAsync<InvalidPageTokenException>(() => Store.ListAsync(DefaultTenant, 10, "!!!", CancellationToken.None));
    }

    [Fact]
    public async Task Delete_removes_the_function_with_its_versions_and_is_false_the_second_time()
    {
        var name = StorageFixture.UniqueName("delete");
        await DeployAsync(DefaultTenant, name);
        var functionId = (await DeployAsync(DefaultTenant, name)).FunctionId;

        Assert.True(await Store.DeleteAsync(DefaultTenant, name, CancellationToken.None));

        Assert.Null(await Store.GetAsync(DefaultTenant, name, CancellationToken.None));
        Assert.Null(await Store.GetVersionAsync(DefaultTenant, name, 0, CancellationToken.None));
        Assert.Null(await Store.ListVersionsAsync(DefaultTenant, name, 10, null, CancellationToken.None));
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM function_versions WHERE function_id = $1", functionId));
        Assert.False(await Store.DeleteAsync(DefaultTenant, name, CancellationToken.None));
    }

    [Fact]
    public async Task A_deleted_name_deployed_again_starts_at_version_1()
    {
        var name = StorageFixture.UniqueName("redeploy");
        await DeployAsync(DefaultTenant, name);
        await DeployAsync(DefaultTenant, name);
        await Store.DeleteAsync(DefaultTenant, name, CancellationToken.None);

        var again = await DeployAsync(DefaultTenant, name);

        Assert.Equal(1, again.Version);
    }

    [Fact]
    public async Task Functions_of_another_tenant_are_invisible()
    {
        var mine = await fixture.CreateTenantAsync();
        var theirs = await fixture.CreateTenantAsync();
        await DeployAsync(theirs, "shared-name", description: "theirs");
        await DeployAsync(theirs, "shared-name", description: "theirs");
        await DeployAsync(theirs, "only-theirs");
        await DeployAsync(mine, "shared-name", description: "mine");

        var listed = await Store.ListAsync(mine, 10, null, CancellationToken.None);
        var versions = await Store.ListVersionsAsync(mine, "shared-name", 10, null, CancellationToken.None);

        Assert.Equal(["shared-name"], listed.Items.Select(f => f.Name));
        Assert.Equal([1], versions!.Items.Select(v => v.Version));
        Assert.Equal("mine", (await Store.GetVersionAsync(mine, "shared-name", 0, CancellationToken.None))!.Description);
        Assert.Null(await Store.GetVersionAsync(mine, "shared-name", 2, CancellationToken.None));
        Assert.Null(await Store.GetVersionAsync(mine, "only-theirs", 0, CancellationToken.None));
        Assert.Null(await Store.ListVersionsAsync(mine, "only-theirs", 10, null, CancellationToken.None));
        Assert.False(await Store.DeleteAsync(mine, "only-theirs", CancellationToken.None));
        Assert.NotNull(await Store.GetVersionAsync(theirs, "only-theirs", 0, CancellationToken.None));
    }

    [Fact]
    public async Task The_warm_pool_list_holds_the_live_version_of_functions_with_min_warm_only()
    {
        var sha256 = await fixture.Artifacts.PutAsync(Guid.NewGuid().ToByteArray(), CancellationToken.None);
        var newerSha256 = await fixture.Artifacts.PutAsync(Guid.NewGuid().ToByteArray(), CancellationToken.None);
        var tenant = await fixture.CreateTenantAsync();
        Task<FunctionVersion> AddAsync(string name, FunctionConfig config, VersionState state = VersionState.Ready, string? module = null) =>
            Store.AddVersionAsync(tenant, name, "wasm", state, module ?? sha256, null, config, "", CancellationToken.None);

        await AddAsync("kept-warm", new FunctionConfig { MinWarm = 2 });
        await AddAsync("kept-warm", new FunctionConfig { MinWarm = 3 }, module: newerSha256);
        await AddAsync("still-building", new FunctionConfig { MinWarm = 1 });
        await AddAsync("still-building", new FunctionConfig { MinWarm = 1 }, VersionState.Building, module: newerSha256);
        await AddAsync("scaled-to-zero", new FunctionConfig { MinWarm = 1 });
        await AddAsync("scaled-to-zero", new FunctionConfig { MinWarm = 0 });
        await AddAsync("job", new FunctionConfig { MinWarm = 1, Mode = ExecutionMode.Job });

        var listed = (await Store.ListWarmPoolVersionsAsync(10_000, CancellationToken.None)).Where(v => v.TenantId == tenant).ToList();

        Assert.Equal(["kept-warm", "still-building"], listed.Select(v => v.FunctionName).Order(StringComparer.Ordinal));
        var keptWarm = listed.Single(v => v.FunctionName == "kept-warm");
        Assert.Equal((2, 3, newerSha256), (keptWarm.Version, keptWarm.Config.MinWarm, keptWarm.ModuleSha256));
        var building = listed.Single(v => v.FunctionName == "still-building");
        Assert.Equal((1, sha256), (building.Version, building.ModuleSha256));
    }

    [Fact]
    public async Task A_version_past_the_limit_is_refused_until_an_old_one_is_deleted()
    {
        var name = StorageFixture.UniqueName("capped");
        for (var i = 0; i < 3; i++)
        {
            await DeployAsync(DefaultTenant, name, maxVersions: 3);
        }

        await Assert.ThrowsAsync<VersionLimitExceededException>(() => DeployAsync(DefaultTenant, name, maxVersions: 3));
        Assert.Equal(3, (await Store.GetAsync(DefaultTenant, name, CancellationToken.None))!.VersionCount);

        Assert.Equal(VersionDeletion.Deleted, await Store.DeleteVersionAsync(DefaultTenant, name, 1, CancellationToken.None));
        var next = await DeployAsync(DefaultTenant, name, maxVersions: 3);
        Assert.Equal(4, next.Version);
    }

    [Fact]
    public async Task The_latest_and_the_serving_version_stay_and_another_tenant_cannot_delete_any()
    {
        var tenant = await fixture.CreateTenantAsync();
        var name = StorageFixture.UniqueName("keep");
        await DeployAsync(tenant, name);
        await DeployAsync(tenant, name);
        await Store.AddVersionAsync(tenant, name, "wasm", VersionState.Building, null, null, new FunctionConfig(), "", CancellationToken.None);

        Assert.Equal(VersionDeletion.Latest, await Store.DeleteVersionAsync(tenant, name, 3, CancellationToken.None));
        Assert.Equal(VersionDeletion.Serving, await Store.DeleteVersionAsync(tenant, name, 2, CancellationToken.None));
        Assert.Equal(VersionDeletion.NotFound, await Store.DeleteVersionAsync(tenant, name, 9, CancellationToken.None));
        Assert.Equal(VersionDeletion.NotFound, await Store.DeleteVersionAsync(DefaultTenant, name, 1, CancellationToken.None));
        Assert.Equal(VersionDeletion.Deleted, await Store.DeleteVersionAsync(tenant, name, 1, CancellationToken.None));
        Assert.Null(await Store.GetVersionAsync(tenant, name, 1, CancellationToken.None));
    }

    [Fact]
    public async Task A_page_cut_short_continues_right_after_its_last_item()
    {
        var name = StorageFixture.UniqueName("cut");
        for (var i = 0; i < 5; i++)
        {
            await DeployAsync(DefaultTenant, name);
        }

        var page = (await Store.ListVersionsAsync(DefaultTenant, name, 10, null, CancellationToken.None))!;
        var cut = page.Take(2);
        var rest = (await Store.ListVersionsAsync(DefaultTenant, name, 10, cut.NextPageToken, CancellationToken.None))!;

        Assert.Equal([5, 4], cut.Items.Select(v => v.Version));
        Assert.Equal([3, 2, 1], rest.Items.Select(v => v.Version));
        Assert.Null(rest.NextPageToken);
    }

    [Theory]
    [InlineData(600)]
    [InlineData(0)]
    public async Task A_page_token_longer_than_any_store_makes_or_holding_a_nul_is_invalid(int length)
    {
        var token = length > 0 ? new string('A', length) : "AA"; // "AA" decodes to a NUL

        await Assert.ThrowsAsync<InvalidPageTokenException>(() => Store.ListAsync(DefaultTenant, 10, token, CancellationToken.None));
    }

    private Task<FunctionVersion> DeployAsync(Guid tenant, string name, FunctionConfig? config = null, string description = "", int maxVersions = int.MaxValue) =>
        Store.AddVersionAsync(
            tenant, name, "wat", VersionState.Ready, null, "(module)", config ?? new FunctionConfig(), description, CancellationToken.None, maxVersions: maxVersions);
}
