using Faas.AppHost.Processes;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Postgres;

/// <summary>
/// Runs PostgreSQL's programs, through <c>runuser -u postgres --</c> when the AppHost is root
/// (PostgreSQL refuses to run as root).
/// </summary>
internal sealed class PostgresCommands(PostgresBinaries binaries, ResourceLog log)
{
    public const string ServiceUser = "postgres";

    private static readonly string? RunUser = new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" }.FirstOrDefault(File.Exists);

    public static bool RunsAsServiceUser => ProcessSignals.IsRoot;

    public Task<CommandResult> InitDbAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(binaries.InitDb, arguments, cancellationToken);

    public Task<CommandResult> PgCtlAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(binaries.PgCtl, arguments, cancellationToken);

    /// <summary>Whether the service user exists (only asked when running as root).</summary>
    public async Task<bool> ServiceUserExistsAsync(CancellationToken cancellationToken) =>
        (await CommandRunner.RunAsync("id", ["-u", ServiceUser], log, cancellationToken)).Succeeded;

    /// <summary>Gives the service user a file or folder (recursively).</summary>
    public async Task<CommandResult> GiveToServiceUserAsync(string path, CancellationToken cancellationToken) =>
        await CommandRunner.RunAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", path], log, cancellationToken);

    private Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        if (!RunsAsServiceUser)
        {
            return CommandRunner.RunAsync(program, arguments, log, cancellationToken);
        }

        if (RunUser is null)
        {
            throw new InvalidOperationException("The AppHost runs as root but runuser (util-linux) was not found to run PostgreSQL as the postgres user.");
        }

        return CommandRunner.RunAsync(RunUser, ["-u", ServiceUser, "--", program, .. arguments], log, cancellationToken);
    }
}
