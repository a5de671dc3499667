using Faas.ServiceDefaults.ServiceIdentity;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace Faas.Scheduler.Tests;

/// <summary>Service tokens as one service mints them and another checks them.</summary>
public class ServiceTokenTests
{
    private static readonly string Key = ServiceKey.Generate();

    private static ServiceTokens Minter(string key, TimeProvider? time = null) => new(
        Options.Create(new ServiceAuthOptions { Key = key }), new HostingEnvironment { ApplicationName = "gateway" }, time ?? TimeProvider.System);

    private static ServiceTokenValidator Validator(TimeProvider? time = null) =>
        new(Options.Create(new ServiceAuthOptions { Key = Key }), time ?? TimeProvider.System);

    [Fact]
    public async Task A_token_minted_with_the_shared_key_is_accepted_and_names_its_service()
    {
        var (principal, failure) = await Validator().ValidateAsync(Minter(Key).Current, "Service");

        Assert.Null(failure);
        Assert.NotNull(principal);
        Assert.Equal(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") is { Length: > 0 } name ? name : "gateway", principal.Identity!.Name);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var (principal, failure) = await Validator().ValidateAsync(Minter(ServiceKey.Generate()).Current, "Service");

        Assert.Null(principal);
        Assert.Contains("not valid", failure);
    }

    [Fact]
    public async Task An_expired_token_is_refused_even_after_it_was_once_accepted()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var token = Minter(Key, clock).Current;
        var validator = Validator(clock);
        Assert.NotNull((await validator.ValidateAsync(token, "Service")).Principal);

        clock.Now += TimeSpan.FromMinutes(11);

        Assert.Null((await validator.ValidateAsync(token, "Service")).Principal);
    }

    [Fact]
    public async Task A_token_of_another_issuer_is_not_judged_here_and_a_forged_service_token_is_refused()
    {
        // A sink token on the sink manager: its own scheme decides, so this one has no result (and logs no failure).
        var sinkToken = Jwt(issuer: "faas-sinks", ServiceKey.Generate());
        Assert.Equal((null, null), await Validator().ValidateAsync(sinkToken, "Service"));

        // Naming the service issuer does not help a token signed with another key, nor does text that is no token.
        var forged = Jwt(issuer: ServiceAuthOptions.Audience, ServiceKey.Generate());
        Assert.Contains("not valid", (await Validator().ValidateAsync(forged, "Service")).Failure);
        Assert.Contains("not valid", (await Validator().ValidateAsync("not.a.token", "Service")).Failure);
    }

    private static string Jwt(string issuer, string base64Key) => new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(
        new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = ServiceAuthOptions.Audience,
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Convert.FromBase64String(base64Key)), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });

    [Fact]
    public void A_minter_renews_its_token_before_it_expires()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var minter = Minter(Key, clock);
        var first = minter.Current;
        Assert.Equal(first, minter.Current);

        clock.Now += TimeSpan.FromMinutes(7);

        Assert.NotEqual(first, minter.Current);
    }

    [Theory]
    [InlineData("", "set ServiceAuth:Key")]
    [InlineData("c2hvcnQ=", "has 5 bytes; at least 32")]
    [InlineData("not base64!", "is not base64")]
    public void A_missing_short_or_malformed_key_is_a_clear_start_up_error(string key, string reason)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServiceKey.Load(new ServiceAuthOptions { Key = key }));
        Assert.Contains(reason, error.Message);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
