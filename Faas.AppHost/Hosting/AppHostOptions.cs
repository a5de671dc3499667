namespace Faas.AppHost.Hosting;

/// <summary>
/// Settings of the local orchestrator, bound from the <c>AppHost</c> configuration section (environment
/// variables <c>AppHost__Workers</c>, …) and the command-line switches in <see cref="CommandLineSwitches"/>.
/// The external connection strings come from the Aspire-style <c>ConnectionStrings</c> section.
/// </summary>
public sealed class AppHostOptions
{
    public const string SectionName = "AppHost";

    /// <summary>worker replicas, named worker-0 … worker-(N-1). Switch <c>--workers</c>.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>
    /// Gateway replicas against the one scheduler: <c>gateway</c> on the ports below and <c>gateway-1</c> …
    /// <c>gateway-(N-1)</c> on free ones, all with the same settings and references. Switch <c>--gateways</c>.
    /// </summary>
    public int Gateways { get; set; } = 1;

    /// <summary>Gateway REST port (HTTP/1.1); 0 picks a free port. Switch <c>--gateway-http-port</c>.</summary>
    public int GatewayHttpPort { get; set; } = 8080;

    /// <summary>Gateway gRPC port (HTTP/2 cleartext); 0 picks a free port. Switch <c>--gateway-grpc-port</c>.</summary>
    public int GatewayGrpcPort { get; set; } = 8081;

    /// <summary>Builds the compiler runs at once, each one compiler process. Switch <c>--compilers</c>.</summary>
    public int Compilers { get; set; } = 2;

    /// <summary>Wall-clock limit of one build; the compiler is killed at it. Switch <c>--build-timeout</c>.</summary>
    public int BuildTimeoutSeconds { get; set; } = 60;

    /// <summary>Dashboard port; 0 picks a free port. Switch <c>--dashboard-port</c>.</summary>
    public int DashboardPort { get; set; } = 18888;

    /// <summary>
    /// Folder for PostgreSQL data, Garnet's append-only file, resource logs and the module cache; relative
    /// to the current directory. Switch <c>--state-dir</c>.
    /// </summary>
    public string StateDirectory { get; set; } = ".faas";

    /// <summary>How long each resource may take to become healthy at start. Switch <c>--health-timeout</c>.</summary>
    public int HealthTimeoutSeconds { get; set; } = 60;

    /// <summary>How long a service may take to stop after SIGTERM before it is killed. Switch <c>--shutdown-grace</c>.</summary>
    public int ShutdownGraceSeconds { get; set; } = 10;

    /// <summary>Folder with initdb and pg_ctl; by default the highest /usr/lib/postgresql/N/bin, else PATH.</summary>
    public string? PostgresBinDirectory { get; set; }

    /// <summary>
    /// Whether the AppHost publishes JOB mode's job runner (NativeAOT, about a minute the first time) when
    /// it is not published yet. Off, JOB mode stays unavailable until it is published some other way.
    /// </summary>
    public bool PublishJobRunner { get; set; } = true;

    /// <summary>Whether Garnet keeps an append-only file under the state folder so acknowledged data survives a restart.</summary>
    public bool GarnetPersistence { get; set; } = true;

    /// <summary>
    /// Starts only Garnet and PostgreSQL, none of the service projects: for running a service from an IDE
    /// or testing the storage layer against the real servers. Switch <c>--infrastructure-only</c>.
    /// </summary>
    public bool InfrastructureOnly { get; set; }

    /// <summary>
    /// <c>ConnectionStrings:redis</c>: when set, no Garnet is started and this string is passed on.
    /// Switch <c>--redis</c>.
    /// </summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// <c>ConnectionStrings:faasdb</c>: when set, no PostgreSQL is started and this string is passed on.
    /// Switch <c>--faasdb</c>.
    /// </summary>
    public string? FaasDbConnectionString { get; set; }

    /// <summary>
    /// Settings passed to every service as environment variables, in their double-underscore form (e.g.
    /// <c>Scheduler__Async__LeaseDuration</c>); set in configuration as <c>AppHost:ServiceEnvironment:&lt;name&gt;</c>.
    /// </summary>
    public Dictionary<string, string> ServiceEnvironment { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Settings for one gateway only, keyed by its index (0 is <c>gateway</c>, 1 is <c>gateway-1</c>, …), applied after
    /// <see cref="ServiceEnvironment"/> (so they win over it); set in configuration as
    /// <c>AppHost:GatewayEnvironment:&lt;index&gt;:&lt;name&gt;</c>, e.g. <c>AppHost:GatewayEnvironment:1:Gateway__SyncInvoke=Scheduler</c>.
    /// </summary>
    public Dictionary<int, Dictionary<string, string>> GatewayEnvironment { get; set; } = [];

    public TimeSpan HealthTimeout => TimeSpan.FromSeconds(HealthTimeoutSeconds);

    public TimeSpan ShutdownGracePeriod => TimeSpan.FromSeconds(ShutdownGraceSeconds);
}
