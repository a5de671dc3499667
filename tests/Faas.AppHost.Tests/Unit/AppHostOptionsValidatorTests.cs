using Faas.AppHost.Hosting;

namespace Faas.AppHost.Tests.Unit;

public sealed class AppHostOptionsValidatorTests
{
    private readonly AppHostOptionsValidator _validator = new();

    [Fact]
    public void Defaults_are_valid() => Assert.True(_validator.Validate(null, new AppHostOptions()).Succeeded);

    [Fact]
    public void Zero_ports_mean_any_free_port_and_are_valid() =>
        Assert.True(_validator.Validate(null, new AppHostOptions { GatewayHttpPort = 0, GatewayGrpcPort = 0, DashboardPort = 0 }).Succeeded);

    [Theory]
    [InlineData(-1)]
    [InlineData(AppHostOptionsValidator.MaxWorkers + 1)]
    public void Worker_count_out_of_range_is_rejected(int workers)
    {
        var result = _validator.Validate(null, new AppHostOptions { Workers = workers });

        Assert.True(result.Failed);
        Assert.Contains("--workers", result.FailureMessage);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(AppHostOptionsValidator.MaxGateways + 1)]
    public void Gateway_count_out_of_range_is_rejected(int gateways)
    {
        var result = _validator.Validate(null, new AppHostOptions { Gateways = gateways });

        Assert.True(result.Failed);
        Assert.Contains("--gateways", result.FailureMessage);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(AppHostOptionsValidator.MaxGateways)]
    public void One_to_eight_gateways_are_valid(int gateways) =>
        Assert.True(_validator.Validate(null, new AppHostOptions { Gateways = gateways }).Succeeded);

    [Fact]
    public void Settings_for_a_gateway_that_does_not_exist_are_rejected()
    {
        var options = new AppHostOptions { Gateways = 2 };
        options.GatewayEnvironment[2] = new() { ["Gateway__SyncInvoke"] = "Scheduler" };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("AppHost:GatewayEnvironment:2", result.FailureMessage);
    }

    [Fact]
    public void The_same_port_for_two_endpoints_is_rejected()
    {
        var result = _validator.Validate(null, new AppHostOptions { GatewayHttpPort = 9000, DashboardPort = 9000 });

        Assert.True(result.Failed);
        Assert.Contains("9000", result.FailureMessage);
    }

    [Fact]
    public void A_port_above_65535_is_rejected()
    {
        var result = _validator.Validate(null, new AppHostOptions { GatewayGrpcPort = 65536 });

        Assert.True(result.Failed);
        Assert.Contains("--gateway-grpc-port", result.FailureMessage);
    }

    [Fact]
    public void An_empty_state_directory_is_rejected() =>
        Assert.Contains("--state-dir", _validator.Validate(null, new AppHostOptions { StateDirectory = " " }).FailureMessage);

    [Fact]
    public void A_missing_postgres_bin_directory_is_rejected() =>
        Assert.Contains("--postgres-bin", _validator.Validate(null, new AppHostOptions { PostgresBinDirectory = "/no/such/folder" }).FailureMessage);
}
