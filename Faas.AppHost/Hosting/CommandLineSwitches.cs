namespace Faas.AppHost.Hosting;

/// <summary>The AppHost's command-line switches and the configuration keys they set.</summary>
public static class CommandLineSwitches
{
    public static readonly IReadOnlyDictionary<string, string> Mappings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["--workers"] = Key(nameof(AppHostOptions.Workers)),
        ["--gateways"] = Key(nameof(AppHostOptions.Gateways)),
        ["--compilers"] = Key(nameof(AppHostOptions.Compilers)),
        ["--build-timeout"] = Key(nameof(AppHostOptions.BuildTimeoutSeconds)),
        ["--gateway-http-port"] = Key(nameof(AppHostOptions.GatewayHttpPort)),
        ["--gateway-grpc-port"] = Key(nameof(AppHostOptions.GatewayGrpcPort)),
        ["--dashboard-port"] = Key(nameof(AppHostOptions.DashboardPort)),
        ["--state-dir"] = Key(nameof(AppHostOptions.StateDirectory)),
        ["--health-timeout"] = Key(nameof(AppHostOptions.HealthTimeoutSeconds)),
        ["--shutdown-grace"] = Key(nameof(AppHostOptions.ShutdownGraceSeconds)),
        ["--postgres-bin"] = Key(nameof(AppHostOptions.PostgresBinDirectory)),
        ["--garnet-persistence"] = Key(nameof(AppHostOptions.GarnetPersistence)),
        ["--infrastructure-only"] = Key(nameof(AppHostOptions.InfrastructureOnly)),
        ["--publish-job-runner"] = Key(nameof(AppHostOptions.PublishJobRunner)),
        ["--redis"] = "ConnectionStrings:redis",
        ["--faasdb"] = "ConnectionStrings:faasdb",
    };

    public const string Usage = """
        Usage: dotnet run --project Faas.AppHost [-- options]

        Starts Garnet (Redis protocol), PostgreSQL, the workers, the scheduler, the compiler and the
        gateway, waits for each to be healthy and serves a dashboard.

        Options (configuration key in brackets; environment variables use __ for :):
          --workers N               worker replicas (default 2)                 [AppHost:Workers]
          --gateways N              gateways; the extra ones on free ports (default 1)   [AppHost:Gateways]
          --compilers N             builds run at once by the compiler (default 2)       [AppHost:Compilers]
          --build-timeout S         seconds one build may take (default 60)              [AppHost:BuildTimeoutSeconds]
          --gateway-http-port P     gateway REST port, 0 = any free (default 8080)       [AppHost:GatewayHttpPort]
          --gateway-grpc-port P     gateway gRPC port, 0 = any free (default 8081)       [AppHost:GatewayGrpcPort]
          --dashboard-port P        dashboard port, 0 = any free (default 18888)         [AppHost:DashboardPort]
          --state-dir DIR           data, logs and caches (default .faas)                [AppHost:StateDirectory]
          --health-timeout S        seconds each resource may take to be healthy (60)    [AppHost:HealthTimeoutSeconds]
          --shutdown-grace S        seconds between SIGTERM and kill at stop (10)        [AppHost:ShutdownGraceSeconds]
          --postgres-bin DIR        folder with initdb and pg_ctl                        [AppHost:PostgresBinDirectory]
          --garnet-persistence B    Garnet append-only file under the state dir (true)   [AppHost:GarnetPersistence]
          --infrastructure-only B   start only Garnet and PostgreSQL, no services (false) [AppHost:InfrastructureOnly]
          --publish-job-runner B   publish JOB mode's job runner if missing (true) [AppHost:PublishJobRunner]
          --redis CS                use this Redis instead of embedded Garnet            [ConnectionStrings:redis]
          --faasdb CS               use this PostgreSQL instead of a local server        [ConnectionStrings:faasdb]
          -h, --help                show this help
        """;

    public static bool IsHelp(IEnumerable<string> args) =>
        args.Any(a => a is "-h" or "--help" or "-?" or "/?");

    private static string Key(string property) => $"{AppHostOptions.SectionName}:{property}";
}
