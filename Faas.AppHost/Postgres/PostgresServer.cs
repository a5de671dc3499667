using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Faas.AppHost.Postgres;

/// <summary>
/// The machine's PostgreSQL on a data folder of the state directory: its command line (as the <c>postgres</c> user when the
/// AppHost is root, since PostgreSQL refuses to run as root), the preparation before each start
/// (the folder given to that user, <c>initdb</c> once, a server left running by a killed AppHost stopped), and a fast
/// shutdown.
/// </summary>
internal sealed partial class PostgresServer(PostgresBinaries binaries, string dataDirectory)
{
    public const string ServiceUser = "postgres";

    /// <summary>Connections the local server accepts: room for every service's pool and the tools beside them.</summary>
    public const int MaxConnections = 400;

    /// <summary>Unix socket paths are limited to 107 bytes; longer data paths get no socket (TCP only).</summary>
    private const int MaxSocketPathLength = 100;

    private static readonly string? RunUser = new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" }.FirstOrDefault(File.Exists);

    /// <summary>setpriv changes user and execs in place: the resource's process is the postmaster itself, so a stop or a kill reaches it.</summary>
    private static readonly string? SetPriv = new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists);

    public string DataDirectory => dataDirectory;

    public static bool RunsAsServiceUser => OperatingSystem.IsLinux() && GetEffectiveUserId() == 0;

    /// <summary>The program to start and the arguments before the server's own: <c>postgres</c>, through setpriv as root.</summary>
    public (string Command, IReadOnlyList<string> Prefix) Command =>
        RunsAsServiceUser
            ? (SetPriv ?? throw new InvalidOperationException("The AppHost runs as root but setpriv (util-linux) was not found to run PostgreSQL as the postgres user."),
               [$"--reuid={ServiceUser}", $"--regid={ServiceUser}", "--init-groups", "--", binaries.Server])
            : (binaries.Server, []);

    /// <summary>The server's settings: loopback only, the port, enough connections, a socket in the data folder when its path fits.</summary>
    public IEnumerable<string> ServerArguments(string port)
    {
        string[] socket = dataDirectory.Length <= MaxSocketPathLength ? ["-k", dataDirectory] : ["-c", "unix_socket_directories="];
        // Every service keeps its own connection pool (Npgsql: up to 100 each) and, under asynchronous load, the scheduler
        // and the gateway write from many calls at once: PostgreSQL's default of 100 connections is not enough for the mesh.
        return ["-D", dataDirectory, "-c", "listen_addresses=127.0.0.1", "-p", port, "-c", $"max_connections={MaxConnections}", .. socket];
    }

    public async Task PrepareAsync(ILogger log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        if (RunsAsServiceUser)
        {
            if (!(await RunAsync("id", ["-u", ServiceUser], log, cancellationToken).ConfigureAwait(false)).Succeeded)
            {
                throw new InvalidOperationException(
                    $"The AppHost runs as root, so PostgreSQL must run as the '{ServiceUser}' user, which does not exist (installing the postgresql package creates it); or use an existing server with --faasdb.");
            }

            foreach (var folder in FolderAccess.MakeParentsTraversable(dataDirectory))
            {
                LogMadeTraversable(log, folder);
            }

            await RunAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", dataDirectory], log, cancellationToken).ConfigureAwait(false);
        }

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            if (Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            {
                throw new InvalidOperationException(
                    $"Cannot initialise {dataDirectory}: the folder is not empty and holds no PostgreSQL data (no PG_VERSION); empty it or choose another --state-dir.");
            }

            LogInitializing(log, dataDirectory);
            var initialized = await RunAsServerUserAsync(binaries.InitDb, ["-D", dataDirectory, "-U", ServiceUser, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"], log, cancellationToken).ConfigureAwait(false);
            if (!initialized.Succeeded)
            {
                throw new InvalidOperationException($"initdb exited with {initialized.ExitCode}: {initialized.Output}");
            }
        }

        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid"))
            && (await RunAsServerUserAsync(binaries.PgCtl, ["-D", dataDirectory, "status"], log, cancellationToken).ConfigureAwait(false)).Succeeded)
        {
            LogStaleServer(log, dataDirectory);
            await StopAsync(log, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>pg_ctl stop -m fast</c>: clients are disconnected, the server shuts down cleanly.</summary>
    public async Task StopAsync(ILogger log, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            await RunAsServerUserAsync(binaries.PgCtl, ["-D", dataDirectory, "stop", "-m", "fast", "-w", "-t", "30"], log, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task<CommandResult> RunAsServerUserAsync(string program, IReadOnlyList<string> arguments, ILogger log, CancellationToken cancellationToken) =>
        RunsAsServiceUser && RunUser is { } runUser
            ? RunAsync(runUser, ["-u", ServiceUser, "--", program, .. arguments], log, cancellationToken)
            : RunAsync(program, arguments, log, cancellationToken);

    private static async Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, ILogger log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(cancellationToken), process.StandardError.ReadToEndAsync(cancellationToken));
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var text = string.Concat(await output.ConfigureAwait(false)).Trim();
        if (text.Length > 0)
        {
            LogCommandOutput(log, Path.GetFileName(program), text);
        }

        return new CommandResult(process.ExitCode, text);
    }

    private sealed record CommandResult(int ExitCode, string Output)
    {
        public bool Succeeded => ExitCode == 0;
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Initialising a PostgreSQL data folder in {DataDirectory}")]
    private static partial void LogInitializing(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "A PostgreSQL server left running on {DataDirectory} by an earlier run is being stopped")]
    private static partial void LogStaleServer(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Made {Folder} traversable by others (o+x) so PostgreSQL's user can reach its data folder")]
    private static partial void LogMadeTraversable(ILogger logger, string folder);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Program}: {Output}")]
    private static partial void LogCommandOutput(ILogger logger, string program, string output);
}
