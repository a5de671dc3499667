using System.Security.Cryptography;
using Faas.Storage.Postgres;

namespace Faas.Storage.Tests.Postgres;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ArtifactStoreTests(StorageFixture fixture)
{
    private ArtifactStore Store => fixture.Artifacts;

    [Fact]
    public async Task The_same_bytes_stored_twice_give_the_same_hash_and_one_row()
    {
        var wasm = RandomNumberGenerator.GetBytes(1024);

        var first = await Store.PutAsync(wasm, CancellationToken.None);
        var second = await Store.PutAsync([.. wasm], CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM artifacts WHERE sha256 = $1", first));
    }

    [Fact]
    public async Task The_hash_is_the_lower_case_hex_sha256_of_the_bytes()
    {
        var wasm = RandomNumberGenerator.GetBytes(64);

        var hash = await Store.PutAsync(wasm, CancellationToken.None);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(wasm)), hash);
        Assert.Equal(64, await fixture.ScalarAsync<int>("SELECT size_bytes FROM artifacts WHERE sha256 = $1", hash));
    }

    [Fact]
    public async Task Different_bytes_are_different_artifacts()
    {
        var a = await Store.PutAsync(RandomNumberGenerator.GetBytes(32), CancellationToken.None);
        var b = await Store.PutAsync(RandomNumberGenerator.GetBytes(32), CancellationToken.None);

        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Stored_bytes_come_back_unchanged()
    {
        var wasm = RandomNumberGenerator.GetBytes(200_000);
        var hash = await Store.PutAsync(wasm, CancellationToken.None);

        Assert.Equal(wasm, await Store.GetWasmAsync(hash, CancellationToken.None));
    }

    [Fact]
    public async Task An_unknown_hash_has_no_module()
    {
        var unknown = ArtifactStore.Hash(RandomNumberGenerator.GetBytes(16));

        Assert.Null(await Store.GetWasmAsync(unknown, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_module_all_succeed()
    {
        var wasm = RandomNumberGenerator.GetBytes(4096);

        var hashes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.PutAsync(wasm, CancellationToken.None))));

        Assert.Single(hashes.Distinct());
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM artifacts WHERE sha256 = $1", hashes[0]));
    }
}
