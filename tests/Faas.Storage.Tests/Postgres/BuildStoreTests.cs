using System.Security.Cryptography;
using Faas.Storage.Model;
using Faas.Storage.Postgres;

namespace Faas.Storage.Tests.Postgres;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BuildStoreTests(StorageFixture fixture)
{
    private static readonly Guid Tenant = Tenants.Default;

    private BuildStore Builds => fixture.Builds;

    [Fact]
    public async Task A_version_from_source_starts_BUILDING_with_a_queued_build_holding_its_files()
    {
        var name = StorageFixture.UniqueName("building");
        var input = Input();

        var version = await Builds.AddVersionAsync(Tenant, name, input, null, new FunctionConfig(), "", CancellationToken.None);

        Assert.Equal(VersionState.Building, version.State);
        Assert.Null(version.ModuleSha256);
        var build = await Builds.GetAsync(version.FunctionId, version.Version, CancellationToken.None);
        Assert.Equal((BuildState.Queued, input.SourceSha256, "c"), (build!.State, build.SourceSha256, build.Language));
        Assert.Equal(input.Sources, await Builds.GetSourcesAsync(version.FunctionId, version.Version, CancellationToken.None));
    }

    [Fact]
    public async Task Completing_a_build_makes_its_version_READY_with_the_module_once()
    {
        var name = StorageFixture.UniqueName("complete");
        var version = await Builds.AddVersionAsync(Tenant, name, Input(), null, new FunctionConfig(), "", CancellationToken.None);
        var module = await fixture.Artifacts.PutAsync(RandomNumberGenerator.GetBytes(64), CancellationToken.None);
        var diagnostics = new[] { new SourceDiagnostic("function.c", 3, 5, "warning", "unused variable") };

        Assert.True(await Builds.StartAsync(version.FunctionId, version.Version, CancellationToken.None));
        Assert.True(await Builds.CompleteAsync(version.FunctionId, version.Version, new BuildOutcome(module, false, "", diagnostics, "log", "clang 14"), CancellationToken.None));
        Assert.False(await Builds.CompleteAsync(version.FunctionId, version.Version, new BuildOutcome(null, false, "late", [], "", ""), CancellationToken.None));
        Assert.False(await Builds.StartAsync(version.FunctionId, version.Version, CancellationToken.None));

        var stored = await fixture.Functions.GetVersionAsync(Tenant, name, 1, CancellationToken.None);
        Assert.Equal((VersionState.Ready, module), (stored!.State, stored.ModuleSha256));
        var build = await Builds.GetAsync(version.FunctionId, version.Version, CancellationToken.None);
        Assert.Equal((BuildState.Succeeded, 1, "clang 14"), (build!.State, build.Attempts, build.Toolchain));
        Assert.Equal(diagnostics, build.Diagnostics);
        Assert.NotNull(build.FinishedAt);
    }

    [Fact]
    public async Task A_failed_build_leaves_the_version_BUILD_FAILED_and_the_newest_READY_version_runs()
    {
        var name = StorageFixture.UniqueName("failed");
        var module = await fixture.Artifacts.PutAsync(RandomNumberGenerator.GetBytes(64), CancellationToken.None);
        await fixture.Functions.AddVersionAsync(Tenant, name, "wasm", VersionState.Ready, module, null, new FunctionConfig(), "", CancellationToken.None);
        var broken = await Builds.AddVersionAsync(Tenant, name, Input(), null, new FunctionConfig(), "", CancellationToken.None);
        var building = await Builds.AddVersionAsync(Tenant, name, Input("other"), null, new FunctionConfig(), "", CancellationToken.None);

        await Builds.CompleteAsync(broken.FunctionId, broken.Version, new BuildOutcome(null, false, "1 error", [new("function.c", 1, 1, "error", "oops")], "", ""), CancellationToken.None);

        Assert.Equal(VersionState.BuildFailed, (await fixture.Functions.GetVersionAsync(Tenant, name, 2, CancellationToken.None))!.State);
        Assert.Equal(3, (await fixture.Functions.GetVersionAsync(Tenant, name, 0, CancellationToken.None))!.Version);
        Assert.Equal(1, (await fixture.Functions.GetRunnableVersionAsync(Tenant, name, 0, CancellationToken.None))!.Version);
        Assert.Equal(VersionState.Building, (await fixture.Functions.GetRunnableVersionAsync(Tenant, name, building.Version, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task A_function_with_no_READY_version_has_nothing_runnable()
    {
        var name = StorageFixture.UniqueName("none-ready");
        await Builds.AddVersionAsync(Tenant, name, Input(), null, new FunctionConfig(), "", CancellationToken.None);

        Assert.Null(await fixture.Functions.GetRunnableVersionAsync(Tenant, name, 0, CancellationToken.None));
    }

    [Fact]
    public async Task A_known_input_is_deployed_READY_from_the_build_cache()
    {
        var input = Input(Guid.NewGuid().ToString());
        var module = await fixture.Artifacts.PutAsync(RandomNumberGenerator.GetBytes(64), CancellationToken.None);
        Assert.Null(await Builds.FindOutputAsync(input.SourceSha256, CancellationToken.None));
        await Builds.PutOutputAsync(input.SourceSha256, module, "clang 14", CancellationToken.None);

        var cached = await Builds.FindOutputAsync(input.SourceSha256, CancellationToken.None);
        var version = await Builds.AddVersionAsync(Tenant, StorageFixture.UniqueName("cached"), input, cached, new FunctionConfig(), "", CancellationToken.None);

        Assert.Equal((VersionState.Ready, module), (version.State, version.ModuleSha256));
        var build = await Builds.GetAsync(version.FunctionId, version.Version, CancellationToken.None);
        Assert.Equal((BuildState.Succeeded, true), (build!.State, build.CacheHit));
    }

    [Fact]
    public async Task Unfinished_builds_are_listed_for_the_sweep_and_deleting_the_function_removes_its_builds()
    {
        var name = StorageFixture.UniqueName("sweep");
        var version = await Builds.AddVersionAsync(Tenant, name, Input(), null, new FunctionConfig(), "", CancellationToken.None);

        var unfinished = await Builds.ListUnfinishedAsync(DateTimeOffset.UtcNow.AddMinutes(1), 10_000, CancellationToken.None);
        Assert.Contains(unfinished, b => b.FunctionId == version.FunctionId && b.Version == version.Version);

        await fixture.Functions.DeleteAsync(Tenant, name, CancellationToken.None);
        Assert.Null(await Builds.GetAsync(version.FunctionId, version.Version, CancellationToken.None));
        Assert.False(await Builds.StartAsync(version.FunctionId, version.Version, CancellationToken.None));
    }

    [Fact]
    public async Task A_precompiled_artifact_is_found_by_module_and_engine_fingerprint_and_checked_against_its_hash()
    {
        var module = await fixture.Artifacts.PutAsync(RandomNumberGenerator.GetBytes(64), CancellationToken.None);
        var precompiled = RandomNumberGenerator.GetBytes(256);

        await fixture.Artifacts.PutPrecompiledAsync(module, "engine-a", precompiled, CancellationToken.None);

        Assert.Equal(precompiled, await fixture.Artifacts.GetPrecompiledAsync(module, "engine-a", CancellationToken.None));
        Assert.Null(await fixture.Artifacts.GetPrecompiledAsync(module, "engine-b", CancellationToken.None));
        await using (var corrupt = fixture.DataSource.CreateCommand("UPDATE precompiled_artifacts SET precompiled = $1 WHERE module_sha256 = $2"))
        {
            corrupt.Parameters.AddWithValue(RandomNumberGenerator.GetBytes(256));
            corrupt.Parameters.AddWithValue(module);
            await corrupt.ExecuteNonQueryAsync();
        }

        Assert.Null(await fixture.Artifacts.GetPrecompiledAsync(module, "engine-a", CancellationToken.None));
    }

    private static BuildInput Input(string salt = "") =>
        new("c", new Dictionary<string, string> { ["function.c"] = $"int main(void) {{ return 0; }} // {salt}" }, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), null, null);
}
