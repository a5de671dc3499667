using Faas.ServiceDefaults.Metrics;
using Microsoft.Extensions.Configuration;

namespace Faas.Gateway.Tests;

public sealed class MetricsAccessTests
{
    [Fact]
    public void Without_a_token_metrics_are_closed_to_everyone()
    {
        var access = Access(new());

        Assert.False(access.Allows(null));
        Assert.False(access.Allows("Bearer "));
        Assert.False(access.Allows("Bearer anything"));
    }

    [Fact]
    public void With_a_token_only_its_bearer_may_scrape()
    {
        var access = Access(new() { ["Metrics:BearerToken"] = "operator-secret" });

        Assert.True(access.Allows("Bearer operator-secret"));
        Assert.False(access.Allows(null));
        Assert.False(access.Allows("Bearer operator-secre"));
        Assert.False(access.Allows("Bearer a-tenants-api-key"));
    }

    [Fact]
    public void The_token_may_come_from_a_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-a-file\n");

            var access = Access(new() { ["Metrics:BearerTokenFile"] = file });

            Assert.True(access.Allows("Bearer from-a-file"));
            Assert.False(access.Allows(null));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Anonymous_scraping_is_an_explicit_choice()
    {
        Assert.True(Access(new() { ["Metrics:AllowAnonymous"] = "true" }).Allows(null));
    }

    private static MetricsAccess Access(Dictionary<string, string?> settings) =>
        MetricsAccess.From(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
}
