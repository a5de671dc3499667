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
