using Faas.Gateway.Auth;

namespace Faas.Gateway.Tests.Auth;

public class ApiKeySecretsTests
{
    [Fact]
    public void A_generated_key_parses_back_to_its_id_and_its_secret_matches_the_stored_hash()
    {
        var (id, key, sha256) = ApiKeySecrets.Generate();

        Assert.StartsWith(ApiKeySecrets.Prefix, key);
        Assert.True(ApiKeySecrets.TryParse(key, out var parsedId, out var secret));
        Assert.Equal(id, parsedId);
        Assert.True(ApiKeySecrets.Matches(secret, sha256));
        Assert.DoesNotContain(secret, Convert.ToBase64String(sha256));
    }

    [Fact]
    public void Two_keys_never_share_a_secret()
    {
        var first = ApiKeySecrets.Generate();
        var second = ApiKeySecrets.Generate();
        Assert.NotEqual(first.Key, second.Key);
        Assert.False(ApiKeySecrets.TryParse(second.Key, out _, out var secret) && ApiKeySecrets.Matches(secret, first.Sha256));
    }

    [Theory]
    [InlineData("")]
    [InlineData("faas_")]
    [InlineData("Bearer faas_0123")]
    [InlineData("faas_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("faas_0123456789abcdef0123456789abcdef-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.abc")]
    public void Anything_else_is_not_a_key(string presented) => Assert.False(ApiKeySecrets.TryParse(presented, out _, out _));
}
