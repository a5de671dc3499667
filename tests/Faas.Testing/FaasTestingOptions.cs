using Faas.AppHost.Hosting;

namespace Faas.Testing;

/// <summary>How a test wants the mesh: every port is free-picked and the state directory is fresh unless said otherwise.</summary>
public sealed class FaasTestingOptions
{
    /// <summary>worker replicas.</summary>
    public int Workers { get; set; } = 2;

    /// <summary>
    /// Slots of each worker (<c>Worker:Slots</c>): two by default, so that a test mesh holds the same slots, and a tenant the
    /// same share of them, on every machine (the workers' own default grows with the processors). Null: the workers' default.
    /// </summary>
    public int? WorkerSlots { get; set; } = 2;

    /// <summary>
    /// Gateway replicas: <c>gateway</c> and <c>gateway-1</c> … <c>gateway-(N-1)</c>, each on free ports, all against the one
    /// scheduler (see <see cref="FaasTestApp.Gateways"/>).
    /// </summary>
    public int Gateways { get; set; } = 1;

    /// <summary>
    /// Settings for one gateway only, by its index (0 is <c>gateway</c>, 1 is <c>gateway-1</c>, …) and then by variable
    /// name in its double-underscore form, e.g. <c>GatewayEnvironment[1]["Gateway__SyncInvoke"] = "Scheduler"</c>. They win
    /// over settings given to every service.
    /// </summary>
    public Dictionary<int, Dictionary<string, string>> GatewayEnvironment { get; } = [];

    /// <summary>
    /// Starts only Garnet and PostgreSQL, none of the services: a couple of seconds instead of the whole
    /// mesh, for tests of code that talks to the servers directly. Connection strings via
    /// <see cref="FaasTestApp.GetConnectionString"/>.
    /// </summary>
    public bool InfrastructureOnly { get; set; }

    /// <summary>An existing Redis to use instead of the in-process Garnet.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>An existing PostgreSQL database to use instead of a local server.</summary>
    public string? FaasDbConnectionString { get; set; }

    /// <summary>The environment of the AppHost and of every service.</summary>
    public string EnvironmentName { get; set; } = "Development";

    /// <summary>A state directory to use (kept at dispose); null makes a fresh temporary one that is deleted at dispose.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>How long a resource may take to become healthy.</summary>
    public TimeSpan HealthTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How long the Wait… methods wait when not told otherwise.</summary>
    public TimeSpan DefaultWaitTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Any further AppHost setting, applied last (e.g. fixed ports).</summary>
    public Action<AppHostOptions>? ConfigureAppHost { get; set; }

    /// <summary>
    /// Whether the AppHost publishes JOB mode's job runner when it is missing. Off by default so that a test
    /// run does not spend a minute of CPU on it beside the tests; JOB-mode tests publish it before they start.
    /// </summary>
    public bool PublishJobRunner { get; set; }
}
