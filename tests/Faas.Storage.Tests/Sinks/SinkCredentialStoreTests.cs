using Faas.Storage.Sinks;

namespace Faas.Storage.Tests.Sinks;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SinkCredentialStoreTests(StorageFixture fixture)
{
    private SinkCredentialStore Store => new(fixture.DataSource);

    [Fact]
    public async Task A_credential_is_stored_with_its_hash_and_its_name_is_unique_among_live_ones()
    {
        var name = StorageFixture.UniqueName("sink");
        var created = await Store.CreateAsync(Guid.NewGuid(), name, "$2a$10$hash", CancellationToken.None);

        Assert.Equal(name, created.Name);
        Assert.False(created.IsRevoked);
        Assert.Equal(created, await Store.GetAsync(created.Id, CancellationToken.None));
        await Assert.ThrowsAsync<SinkCredentialConflictException>(() => Store.CreateAsync(Guid.NewGuid(), name, "$2a$10$other", CancellationToken.None));

        // Once revoked, the name is free again; the revoked credential stays for the record.
        var revoked = await Store.RevokeAsync(created.Id, CancellationToken.None);
        Assert.NotNull(revoked?.RevokedAt);
        var again = await Store.CreateAsync(Guid.NewGuid(), name, "$2a$10$again", CancellationToken.None);
        var listed = (await Store.ListAsync(CancellationToken.None)).Where(c => c.Name == name).ToList();
        Assert.Equal(2, listed.Count);
        Assert.Contains(listed, c => c.Id == again.Id && !c.IsRevoked);
    }

    [Fact]
    public async Task A_second_revoke_keeps_the_first_time_and_an_unknown_one_is_null()
    {
        var created = await Store.CreateAsync(Guid.NewGuid(), StorageFixture.UniqueName("sink"), "$2a$10$hash", CancellationToken.None);
        var first = await Store.RevokeAsync(created.Id, CancellationToken.None);
        var second = await Store.RevokeAsync(created.Id, CancellationToken.None);

        Assert.Equal(first!.RevokedAt, second!.RevokedAt);
        Assert.Null(await Store.RevokeAsync(Guid.NewGuid(), CancellationToken.None));
    }

    [Fact]
    public async Task Use_is_recorded()
    {
        var created = await Store.CreateAsync(Guid.NewGuid(), StorageFixture.UniqueName("sink"), "$2a$10$hash", CancellationToken.None);
        var at = DateTimeOffset.UtcNow;

        await Store.TouchAsync(created.Id, at, CancellationToken.None);

        var read = await Store.GetAsync(created.Id, CancellationToken.None);
        Assert.True(Math.Abs((read!.LastUsedAt!.Value - at).TotalMilliseconds) < 1);
    }
}
