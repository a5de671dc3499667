using System.Globalization;
using Faas.Bench.Load;
using Faas.Testing;

namespace Faas.Bench;

/// <summary>
/// The processes a synchronous call runs through, by kind, for a <see cref="CpuMeter"/>: every gateway, the scheduler,
/// every worker, PostgreSQL (the postmaster with its backends), Garnet, and any relays the benchmark started. The sink
/// manager, the compiler and the job sink are not on that path and are left out.
/// </summary>
public static class MeshCpu
{
    public const string Gateway = "gateway";
    public const string Scheduler = "scheduler";
    public const string Worker = "worker";
    public const string Postgres = "postgres";
    public const string Garnet = "garnet";
    public const string Relay = "relay";

    public static readonly IReadOnlyList<string> Kinds = [Gateway, Scheduler, Worker, Postgres, Garnet, Relay];

    public static CpuMeter For(FaasTestApp app, IReadOnlyList<int>? relays = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new CpuMeter(() =>
        [
            new(Gateway, [.. app.Gateways.Select(app.GetProcessId)]),
            new(Scheduler, [app.GetProcessId("scheduler")]),
            new(Worker, [.. app.ResourceNames.Where(n => n.StartsWith("worker-", StringComparison.Ordinal)).Select(app.GetProcessId)]),
            new(Postgres, Postmaster(app) is { } postmaster ? [postmaster] : []),
            new(Garnet, app.ResourceNames.Contains("redis") ? [app.GetProcessId("redis")] : []),
            new(Relay, relays ?? []),
        ]);
    }

    /// <summary>
    /// The local PostgreSQL's postmaster: the first line of <c>postmaster.pid</c> in its data folder (the resource's own
    /// process may be a program that started it), else the resource's process; none with an existing server.
    /// </summary>
    private static int? Postmaster(FaasTestApp app)
    {
        var file = Path.Combine(app.State.Postgres, "postmaster.pid");
        if (File.Exists(file) && int.TryParse(File.ReadLines(file).FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            return pid;
        }

        return app.ResourceNames.Contains("postgres") ? app.GetProcessId("postgres") : null;
    }
}
