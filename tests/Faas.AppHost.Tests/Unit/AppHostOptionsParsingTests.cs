using Faas.AppHost.Hosting;
using Microsoft.Extensions.Configuration;

namespace Faas.AppHost.Tests.Unit;

public sealed class AppHostOptionsParsingTests
{
    [Fact]
    public void Defaults_match_the_documented_ports_and_state_directory()
    {
        var options = Parse();

        Assert.Equal(2, options.Workers);
        Assert.Equal(1, options.Gateways);
        Assert.Equal(8080, options.GatewayHttpPort);
        Assert.Equal(8081, options.GatewayGrpcPort);
        Assert.Equal(18888, options.DashboardPort);
        Assert.Equal(".faas", options.StateDirectory);
        Assert.True(options.GarnetPersistence);
        Assert.False(options.InfrastructureOnly);
    }

    [Fact]
    public void Command_line_switches_set_the_options()
    {
        var options = Parse(
            "--workers", "3", "--gateway-http-port", "9080", "--gateway-grpc-port", "9081", "--dashboard-port", "19888",
            "--state-dir", "/tmp/somewhere", "--health-timeout", "30", "--shutdown-grace", "5");

        Assert.Equal(3, options.Workers);
        Assert.Equal(9080, options.GatewayHttpPort);
        Assert.Equal(9081, options.GatewayGrpcPort);
        Assert.Equal(19888, options.DashboardPort);
        Assert.Equal("/tmp/somewhere", options.StateDirectory);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HealthTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ShutdownGracePeriod);
    }

    [Fact]
    public void Configuration_keys_work_as_well_as_switches()
    {
        var options = Parse("--AppHost:Workers=4", "--ConnectionStrings:redis=redis.example:6379", "--ConnectionStrings:faasdb=Host=db;Database=faas");

        Assert.Equal(4, options.Workers);
        Assert.Equal("redis.example:6379", options.RedisConnectionString);
        Assert.Equal("Host=db;Database=faas", options.FaasDbConnectionString);
    }

    [Fact]
    public void Gateways_and_their_own_settings_are_read()
    {
        var options = Parse("--gateways", "2", "--AppHost:GatewayEnvironment:1:Gateway__SyncInvoke=Scheduler", "--AppHost:ServiceEnvironment:A=b");

        Assert.Equal(2, options.Gateways);
        Assert.Equal("Scheduler", Assert.Single(options.GatewayEnvironment[1]).Value);
        Assert.False(options.GatewayEnvironment.ContainsKey(0));
        Assert.Equal("b", options.ServiceEnvironment["A"]);
    }

    [Fact]
    public void Redis_and_faasdb_switches_give_external_connection_strings()
    {
        var options = Parse("--redis", "cache:6379", "--faasdb", "Host=db;Database=faas");

        Assert.Equal("cache:6379", options.RedisConnectionString);
        Assert.Equal("Host=db;Database=faas", options.FaasDbConnectionString);
    }

    [Fact]
    public void Infrastructure_only_switch_sets_the_option() =>
        Assert.True(Parse("--infrastructure-only", "true").InfrastructureOnly);

    [Fact]
    public void A_value_that_is_not_a_number_is_explained()
    {
        var error = Assert.Throws<AppHostConfigurationException>(() => Parse("--workers", "many"));

        Assert.Contains("AppHost:Workers", error.Message);
        Assert.Contains("many", error.Message);
    }

    [Fact]
    public void Invalid_values_are_all_reported_with_their_switches()
    {
        var error = Assert.Throws<AppHostConfigurationException>(() => AppHostSettingsExtensions.Check(Parse("--workers", "-1", "--dashboard-port", "70000")));

        Assert.Contains("--workers", error.Message);
        Assert.Contains("--dashboard-port", error.Message);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_is_recognised(string argument) => Assert.True(CommandLineSwitches.IsHelp([argument]));

    [Fact]
    public void Usage_lists_every_switch()
    {
        foreach (var option in CommandLineSwitches.Mappings.Keys)
        {
            Assert.Contains(option, CommandLineSwitches.Usage);
        }
    }

    /// <summary>The options as the AppHost reads them: its appsettings.json, then the command line.</summary>
    private static AppHostOptions Parse(params string[] args) =>
        AppHostSettingsExtensions.ReadOptions(new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddCommandLine(args, CommandLineSwitches.Mappings.ToDictionary())
            .Build());
}
