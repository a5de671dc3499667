using System.Globalization;
using Faas.AppHost.Hosting;
using Faas.AppHost.Model;
using Faas.AppHost.Networking;
using Faas.AppHost.Orchestration;
using Faas.AppHost.Processes;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Postgres;

/// <summary>
/// Runs a PostgreSQL server from the machine's binaries: initdb into the state directory once, a stale
/// postmaster from a crashed run stopped, pg_ctl start on a loopback port, the Faas database created if
/// absent, and <c>pg_ctl stop -m fast</c> at the end.
/// </summary>
internal sealed class PostgresRunner(
    PostgresResourceDefinition definition,
    ResourceRegistry registry,
    ResourceLog log,
    AppHostOptions options,
    ILogger logger) : IResourceRunner
{
    /// <summary>Unix socket paths are limited to 107 bytes; longer data paths get no socket (TCP only).</summary>
    private const int MaxSocketPathLength = 100;

    private static readonly TimeSpan SignalStopTimeout = TimeSpan.FromSeconds(30);

    private PostgresCommands? _commands;
    private int? _postmasterPid;

    public ResourceDefinition Definition => definition;

    private string DataDirectory => definition.DataDirectory;

    private string PidFile => Path.Combine(DataDirectory, "postmaster.pid");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        registry.Update(definition.Name, s => s with { State = ResourceState.Starting, StartedAt = DateTimeOffset.Now });
        var binaries = PostgresBinaries.Locate(definition.BinDirectory) ?? throw Failure(
            "cannot start: PostgreSQL's server programs (initdb, pg_ctl) are in neither /usr/lib/postgresql/<version>/bin nor PATH. " +
            "Install them (apt-get install postgresql), point --postgres-bin at them, or use an existing server with --faasdb");
        var commands = _commands = new PostgresCommands(binaries, log);
        log.WriteAppHostLine($"PostgreSQL programs from {binaries.Directory}; data in {DataDirectory}");

        Directory.CreateDirectory(DataDirectory);
        if (PostgresCommands.RunsAsServiceUser)
        {
            await PrepareForServiceUserAsync(commands, cancellationToken);
        }

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            await InitializeAsync(commands, cancellationToken);
        }

        await StopStaleServerAsync(commands, cancellationToken);

        var started = await commands.PgCtlAsync(
            ["-D", DataDirectory, "-l", log.Path, "-o", ServerOptions(), "-w", "-t", options.HealthTimeoutSeconds.ToString(CultureInfo.InvariantCulture), "start"],
            cancellationToken);
        if (!started.Succeeded)
        {
            await log.FlushAsync();
            throw Failure($"did not start (pg_ctl start exited with {started.ExitCode})");
        }

        var pid = _postmasterPid = ReadPostmasterPid();
        registry.Update(definition.Name, s => s with { Pid = pid });
        await PostgresDatabase.EnsureExistsAsync(definition, cancellationToken);
        Log.PostgresStarted(logger, definition.Name, definition.Port, DataDirectory);
        registry.Update(definition.Name, s => s with { State = ResourceState.Running, Health = HealthStatus.Healthy });
    }

    public async Task<HealthStatus> CheckHealthAsync(CancellationToken cancellationToken) =>
        await PortProbe.AcceptsConnectionsAsync(definition.Port, cancellationToken) ? HealthStatus.Healthy : HealthStatus.Unhealthy;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_commands is not null && File.Exists(PidFile))
        {
            registry.Update(definition.Name, s => s with { State = ResourceState.Stopping });

            // Not cancellable: leaving a postmaster behind is worse than a slow stop.
            var stopped = await _commands.PgCtlAsync(["-D", DataDirectory, "stop", "-m", "fast", "-w", "-t", "30"], CancellationToken.None);
            if (!stopped.Succeeded && File.Exists(PidFile))
            {
                await _commands.PgCtlAsync(["-D", DataDirectory, "stop", "-m", "immediate", "-w", "-t", "30"], CancellationToken.None);
            }
        }

        // pg_ctl needs the data folder; if it is gone (deleted under a running server) the postmaster
        // is stopped by its pid: SIGINT is PostgreSQL's fast shutdown.
        if (_postmasterPid is { } pid && ProcessSignals.IsAlive(pid))
        {
            log.WriteAppHostLine($"pg_ctl could not stop postmaster {pid}; sending SIGINT");
            ProcessSignals.Send(pid, ProcessSignals.SigInt);
            if (!await WaitForExitAsync(pid, SignalStopTimeout))
            {
                ProcessSignals.Send(pid, ProcessSignals.SigKill);
            }
        }

        _postmasterPid = null;
        registry.Update(definition.Name, s => s with { State = ResourceState.Stopped, Health = HealthStatus.Unknown });
    }

    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (ProcessSignals.IsAlive(pid))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                return false;
            }

            await timer.WaitForNextTickAsync();
        }

        return true;
    }

    private async Task PrepareForServiceUserAsync(PostgresCommands commands, CancellationToken cancellationToken)
    {
        if (!await commands.ServiceUserExistsAsync(cancellationToken))
        {
            throw Failure(
                $"cannot start: the AppHost runs as root, so PostgreSQL must run as the '{PostgresCommands.ServiceUser}' user, which does not exist " +
                "(installing the postgresql package creates it); or use an existing server with --faasdb");
        }

        foreach (var folder in FolderAccess.MakeParentsTraversable(DataDirectory).Concat(FolderAccess.MakeParentsTraversable(log.Path)))
        {
            Log.MadeTraversable(logger, folder);
        }

        await commands.GiveToServiceUserAsync(DataDirectory, cancellationToken);
        await commands.GiveToServiceUserAsync(log.Path, cancellationToken);
    }

    private async Task InitializeAsync(PostgresCommands commands, CancellationToken cancellationToken)
    {
        if (Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw Failure($"cannot initialise {DataDirectory}: the folder is not empty and holds no PostgreSQL data (no PG_VERSION); empty it or choose another --state-dir");
        }

        Log.PostgresInitializing(logger, DataDirectory);
        var initialized = await commands.InitDbAsync(
            ["-D", DataDirectory, "-U", PostgresResourceDefinition.UserName, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"],
            cancellationToken);
        if (!initialized.Succeeded)
        {
            await log.FlushAsync();
            throw Failure($"could not be initialised (initdb exited with {initialized.ExitCode})");
        }
    }

    /// <summary>A postmaster still running on this data folder (an AppHost that was killed) is stopped first.</summary>
    private async Task StopStaleServerAsync(PostgresCommands commands, CancellationToken cancellationToken)
    {
        if (!File.Exists(PidFile))
        {
            return;
        }

        var status = await commands.PgCtlAsync(["-D", DataDirectory, "status"], cancellationToken);
        if (status.Succeeded)
        {
            Log.PostgresStaleServer(logger, DataDirectory);
            await commands.PgCtlAsync(["-D", DataDirectory, "stop", "-m", "fast", "-w", "-t", "30"], cancellationToken);
        }
    }

    /// <summary>Connections the local server accepts: room for every service's pool and the tools beside them.</summary>
    public const int MaxConnections = 400;

    private string ServerOptions()
    {
        var socket = DataDirectory.Length <= MaxSocketPathLength && !DataDirectory.Contains('\'')
            ? $"-k '{DataDirectory}'"
            : "-c unix_socket_directories=''";
        // Every service keeps its own connection pool (Npgsql: up to 100 each) and, under asynchronous load, the scheduler
        // and the gateway write from many calls at once: PostgreSQL's default of 100 connections is not enough for the mesh.
        return $"-c listen_addresses={EndpointDefinition.Host} -p {definition.Port} -c max_connections={MaxConnections} {socket}";
    }

    private int? ReadPostmasterPid()
    {
        try
        {
            var first = File.ReadLines(PidFile).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private ResourceStartException Failure(string problem) => new(definition.Name, problem, log.Path, log.ReadTail(30));
}
