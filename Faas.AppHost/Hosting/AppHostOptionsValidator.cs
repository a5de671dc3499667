using Microsoft.Extensions.Options;

namespace Faas.AppHost.Hosting;

/// <summary>Rejects settings that cannot work, naming the setting and the switch that changes it.</summary>
public sealed class AppHostOptionsValidator : IValidateOptions<AppHostOptions>
{
    public const int MaxWorkers = 64;

    public const int MaxGateways = 8;

    public ValidateOptionsResult Validate(string? name, AppHostOptions options)
    {
        var failures = new List<string>();

        if (options.Workers is < 0 or > MaxWorkers)
        {
            failures.Add($"AppHost:Workers (--workers) must be between 0 and {MaxWorkers}; it is {options.Workers}.");
        }

        if (options.Gateways is < 1 or > MaxGateways)
        {
            failures.Add($"AppHost:Gateways (--gateways) must be between 1 and {MaxGateways}; it is {options.Gateways}.");
        }

        foreach (var index in options.GatewayEnvironment.Keys.Where(i => i < 0 || i >= options.Gateways).Order())
        {
            failures.Add($"AppHost:GatewayEnvironment:{index} names no gateway: with --gateways {options.Gateways} they are 0 to {options.Gateways - 1}.");
        }

        if (options.Compilers is < 1 or > 64)
        {
            failures.Add($"AppHost:Compilers (--compilers) must be between 1 and 64; it is {options.Compilers}.");
        }

        if (options.BuildTimeoutSeconds is < 1 or > 1800)
        {
            failures.Add($"AppHost:BuildTimeoutSeconds (--build-timeout) must be between 1 and 1800; it is {options.BuildTimeoutSeconds}.");
        }

        CheckPort(failures, options.GatewayHttpPort, "AppHost:GatewayHttpPort", "--gateway-http-port");
        CheckPort(failures, options.GatewayGrpcPort, "AppHost:GatewayGrpcPort", "--gateway-grpc-port");
        CheckPort(failures, options.DashboardPort, "AppHost:DashboardPort", "--dashboard-port");

        var fixedPorts = new[] { options.GatewayHttpPort, options.GatewayGrpcPort, options.DashboardPort }.Where(p => p != 0);
        foreach (var duplicate in fixedPorts.GroupBy(p => p).Where(g => g.Count() > 1))
        {
            failures.Add($"Port {duplicate.Key} is configured twice among --gateway-http-port, --gateway-grpc-port and --dashboard-port.");
        }

        if (string.IsNullOrWhiteSpace(options.StateDirectory))
        {
            failures.Add("AppHost:StateDirectory (--state-dir) must not be empty.");
        }

        if (options.HealthTimeoutSeconds is < 1 or > 3600)
        {
            failures.Add($"AppHost:HealthTimeoutSeconds (--health-timeout) must be between 1 and 3600; it is {options.HealthTimeoutSeconds}.");
        }

        if (options.ShutdownGraceSeconds is < 0 or > 600)
        {
            failures.Add($"AppHost:ShutdownGraceSeconds (--shutdown-grace) must be between 0 and 600; it is {options.ShutdownGraceSeconds}.");
        }

        if (options.PostgresBinDirectory is { Length: > 0 } bin && !Directory.Exists(bin))
        {
            failures.Add($"AppHost:PostgresBinDirectory (--postgres-bin) '{bin}' does not exist.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPort(List<string> failures, int port, string key, string option)
    {
        if (port is < 0 or > 65535)
        {
            failures.Add($"{key} ({option}) must be a port between 1 and 65535, or 0 for any free port; it is {port}.");
        }
    }
}
