using Faas.AppHost.Resources;

namespace Faas.AppHost;

/// <summary>The AppHost's log messages, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Starting {Resource} ({Kind})")]
    public static partial void ResourceStarting(ILogger logger, string resource, string kind);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Resource} is healthy (pid {Pid}, {Seconds:0.0} s)")]
    public static partial void ResourceHealthy(ILogger logger, string resource, int pid, double seconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Resource} (Garnet) listens on {Address}; append-only file in {DataDirectory}")]
    public static partial void GarnetStarted(ILogger logger, string resource, string address, string dataDirectory);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Resource} (PostgreSQL) listens on 127.0.0.1:{Port}; data in {DataDirectory}")]
    public static partial void PostgresStarted(ILogger logger, string resource, int port, string dataDirectory);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Initialising a PostgreSQL data folder in {DataDirectory}")]
    public static partial void PostgresInitializing(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "A PostgreSQL server left running on {DataDirectory} by an earlier run is being stopped")]
    public static partial void PostgresStaleServer(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Made {Folder} traversable by others (o+x) so PostgreSQL's user can reach its data folder")]
    public static partial void MadeTraversable(ILogger logger, string folder);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{Resource} (pid {Pid}) exited unexpectedly with code {ExitCode}; restarting in {BackoffSeconds:0.#} s")]
    public static partial void ResourceExited(ILogger logger, string resource, int pid, int? exitCode, double backoffSeconds);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "{Resource} is healthy again (pid {Pid}, restart {Restarts})")]
    public static partial void ResourceRecovered(ILogger logger, string resource, int pid, int restarts);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Restarting {Resource} failed: {Reason}")]
    public static partial void RestartFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Resource} (pid {Pid}) did not stop within {GraceSeconds} s of SIGTERM; killed")]
    public static partial void ResourceKilled(ILogger logger, string resource, int pid, int graceSeconds);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug, Message = "Stopping {Resource}")]
    public static partial void ResourceStopping(ILogger logger, string resource);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Stopping {Resource} failed")]
    public static partial void ResourceStopFailed(ILogger logger, string resource, Exception exception);

    [LoggerMessage(EventId = 14, Message = "{Resource} is now {Health}")]
    public static partial void HealthChanged(ILogger logger, LogLevel level, string resource, HealthStatus health);

    public const int ReadyEventId = 17;

    [LoggerMessage(EventId = 15, Level = LogLevel.Critical, Message = "Faas did not start. {Reason}")]
    public static partial void StartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Stopped every resource in {Seconds:0.0} s")]
    public static partial void Stopped(ILogger logger, double seconds);

    /// <summary>The ready line (printed as-is by <see cref="Hosting.AppHostConsoleFormatter"/>).</summary>
    [LoggerMessage(EventId = ReadyEventId, Level = LogLevel.Information, Message = "{ReadyLine}")]
    public static partial void Ready(ILogger logger, string readyLine);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information,
        Message = "The administrator's API key is in {KeyFile}: curl -H \"authorization: Bearer $(cat {KeyFile})\" {Gateway}v1/functions")]
    public static partial void AdminKey(ILogger logger, string keyFile, string gateway);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information,
        Message = "No administrator key was written to {KeyFile}: the database already had an administrator. Log in (POST /v1/auth:login) or use a key you kept.")]
    public static partial void NoAdminKey(ILogger logger, string keyFile);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information,
        Message = "External sinks connect to the sink manager at {SinkManager} (gRPC, HTTP/2 cleartext) with a credential from POST /v1/sinkCredentials")]
    public static partial void SinkManager(ILogger logger, string sinkManager);
}
