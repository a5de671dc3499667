using Faas.Storage.Identity;
using Faas.Storage.Model;
using Faas.Storage.Secrets;
using Microsoft.AspNetCore.DataProtection;

namespace Faas.Storage.Tests.Identity;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class IdentityStoreTests(StorageFixture fixture)
{
    private IdentityStore Store => new(fixture.DataSource);

    private static string Email(string prefix) => $"{prefix}-{Guid.NewGuid():N}@example.com";

    [Fact]
    public async Task A_registration_creates_a_tenant_and_its_user_and_refuses_a_taken_address_in_any_case()
    {
        var email = Email("first");
        var tenant = StorageFixture.UniqueName("team");
        var user = await Store.CreateTenantWithUserAsync(tenant, email, "hash", Role.Developer, CancellationToken.None);

        Assert.Equal(tenant, user.TenantName);
        Assert.Equal(Role.Developer, user.Role);
        Assert.Equal(user, await Store.FindUserByEmailAsync(email.ToUpperInvariant(), CancellationToken.None));

        var taken = await Assert.ThrowsAsync<IdentityConflictException>(() =>
            Store.CreateTenantWithUserAsync(StorageFixture.UniqueName("other"), email.ToUpperInvariant(), "hash", Role.Developer, CancellationToken.None));
        Assert.True(taken.EmailTaken);

        var second = Email("second");
        var tenantTaken = await Assert.ThrowsAsync<IdentityConflictException>(() =>
            Store.CreateTenantWithUserAsync(tenant, second, "hash", Role.Developer, CancellationToken.None));
        Assert.False(tenantTaken.EmailTaken);
        // The failed registration left no user behind.
        Assert.Null(await Store.FindUserByEmailAsync(second, CancellationToken.None));
    }

    [Fact]
    public async Task Api_keys_beyond_the_limit_are_refused_and_the_oldest_revoked_ones_make_room()
    {
        var owner = await Store.CreateTenantWithUserAsync(StorageFixture.UniqueName("cap"), Email("cap"), null, Role.Developer, CancellationToken.None);
        var keys = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(Guid.NewGuid());
            await Store.CreateApiKeyAsync(keys[^1], owner.Id, $"k{i}", [1], null, CancellationToken.None, maxKeys: 3);
        }

        await Assert.ThrowsAsync<ApiKeyLimitExceededException>(() =>
            Store.CreateApiKeyAsync(Guid.NewGuid(), owner.Id, "one more", [1], null, CancellationToken.None, maxKeys: 3));

        await Store.RevokeApiKeyAsync(owner.Id, keys[0], CancellationToken.None);
        await Store.CreateApiKeyAsync(Guid.NewGuid(), owner.Id, "in its place", [1], null, CancellationToken.None, maxKeys: 3);

        var listed = await Store.ListApiKeysAsync(owner.Id, CancellationToken.None);
        Assert.Equal(3, listed.Count);
        Assert.DoesNotContain(listed, k => k.Id == keys[0]);
    }

    [Fact]
    public async Task An_api_key_is_found_by_id_with_its_user_and_a_revoke_is_only_by_its_owner()
    {
        var owner = await Store.CreateTenantWithUserAsync(StorageFixture.UniqueName("keys"), Email("owner"), null, Role.Admin, CancellationToken.None);
        var stranger = await Store.CreateTenantWithUserAsync(StorageFixture.UniqueName("keys"), Email("stranger"), null, Role.Developer, CancellationToken.None);
        var keyId = Guid.NewGuid();
        await Store.CreateApiKeyAsync(keyId, owner.Id, "ci", [1, 2, 3], null, CancellationToken.None);

        var found = await Store.FindApiKeyAsync(keyId, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal(owner.TenantId, found.TenantId);
        Assert.Equal(Role.Admin, found.Role);
        Assert.Null(found.RevokedAt);

        Assert.False(await Store.RevokeApiKeyAsync(stranger.Id, keyId, CancellationToken.None));
        Assert.True(await Store.RevokeApiKeyAsync(owner.Id, keyId, CancellationToken.None));
        Assert.NotNull((await Store.FindApiKeyAsync(keyId, CancellationToken.None))!.RevokedAt);

        // Deleting the user takes their keys with them.
        Assert.True(await Store.DeleteUserAsync(owner.Id, CancellationToken.None));
        Assert.Null(await Store.FindApiKeyAsync(keyId, CancellationToken.None));
    }

    [Fact]
    public async Task A_quota_is_stored_per_tenant_and_absent_fields_stay_absent()
    {
        var user = await Store.CreateTenantWithUserAsync(StorageFixture.UniqueName("quota"), Email("quota"), null, Role.Developer, CancellationToken.None);
        Assert.True(await Store.SetQuotaAsync(user.TenantId, new TenantQuota(MaxFunctions: 3, InvocationsPerSecond: 50), CancellationToken.None));

        var tenant = await Store.GetTenantAsync(user.TenantId, CancellationToken.None);
        Assert.Equal(new TenantQuota(3, null, 50, null), tenant!.Quota);
        Assert.False(await Store.SetQuotaAsync(Guid.NewGuid(), new TenantQuota(), CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_deploys_never_take_a_tenant_past_its_function_quota()
    {
        var tenant = await fixture.CreateTenantAsync();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await fixture.Functions.AddVersionAsync(
                    tenant, $"quota-{i}", "wat", VersionState.Ready, null, "(module)", new FunctionConfig(), "", CancellationToken.None, maxFunctions: 3);
                return true;
            }
            catch (FunctionQuotaExceededException)
            {
                return false;
            }
        }));

        Assert.Equal(3, attempts.Count(ok => ok));
        Assert.Equal(3, (await fixture.Functions.ListAsync(tenant, 50, null, CancellationToken.None)).Items.Count);

        // A new version of an existing function still goes in.
        var existing = (await fixture.Functions.ListAsync(tenant, 50, null, CancellationToken.None)).Items[0].Name;
        var second = await fixture.Functions.AddVersionAsync(
            tenant, existing, "wat", VersionState.Ready, null, "(module)", new FunctionConfig(), "", CancellationToken.None, maxFunctions: 3);
        Assert.Equal(2, second.Version);
    }

    [Fact]
    public void Sealed_secrets_open_only_with_the_same_key_ring()
    {
        var keys = Directory.CreateTempSubdirectory("faas-keys-");
        try
        {
            var ring = DataProtectionProvider.Create(keys, b => b.SetApplicationName("Faas"));
            var secrets = new FunctionSecrets(ring);
            var sealedValue = secrets.Seal(new Dictionary<string, string> { ["TOKEN"] = "hunter2" });

            Assert.DoesNotContain("hunter2", sealedValue);
            Assert.Equal("hunter2", new FunctionSecrets(DataProtectionProvider.Create(keys, b => b.SetApplicationName("Faas"))).Unseal(sealedValue)["TOKEN"]);

            var otherKeys = Directory.CreateTempSubdirectory("faas-keys-");
            try
            {
                var stranger = new FunctionSecrets(DataProtectionProvider.Create(otherKeys, b => b.SetApplicationName("Faas")));
                Assert.Throws<SecretsUnavailableException>(() => stranger.Unseal(sealedValue));
            }
            finally
            {
                otherKeys.Delete(recursive: true);
            }
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }
}
