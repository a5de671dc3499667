using Faas.Protos.V1;
using Microsoft.Extensions.Logging;

namespace Faas.Sinks.Client.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Logged in to the sink manager at {SinkManager}; the token expires at {ExpiresAt}")]
    public static partial void LoggedIn(ILogger logger, Uri sinkManager, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Registered sink {Name} as {SinkId} ({Mode}, {Slots} slots, {MemoryMb} MiB); heartbeat every {HeartbeatMs} ms")]
    public static partial void Registered(ILogger logger, string name, string sinkId, string mode, int slots, int memoryMb, uint heartbeatMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The sink manager does not know sink {SinkId} (it restarted, or the sink was removed): registering again")]
    public static partial void SinkUnknown(ILogger logger, string sinkId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The sink manager at {SinkManager} is unreachable or refused the call, retrying in {RetryMs:F0} ms: {Reason}")]
    public static partial void CallFailed(ILogger logger, Uri sinkManager, double retryMs, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "The sink manager rejected the token: logging in again")]
    public static partial void TokenRejected(ILogger logger);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Sink {SinkId} is {State} (was {Previous})")]
    public static partial void StateChanged(ILogger logger, string sinkId, SinkState state, SinkState previous);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Sink {SinkId} is draining: it takes no new tasks and finishes those it has")]
    public static partial void Draining(ILogger logger, string sinkId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Sink {SinkId} was deleted by an administrator: it stops taking work; restart it to register again")]
    public static partial void Deleted(ILogger logger, string sinkId);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Pulling tasks for sink {SinkId}")]
    public static partial void Pulling(ILogger logger, string sinkId);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "The task stream of sink {SinkId} ended, reopening in {RetryMs:F0} ms: {Reason}")]
    public static partial void PullEnded(ILogger logger, string sinkId, double retryMs, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Task {TaskId} (execution {ExecutionId}, delivery {Delivery}) received")]
    public static partial void TaskReceived(ILogger logger, string taskId, string executionId, uint delivery);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Task {TaskId} is no longer this sink's: {Reason}")]
    public static partial void TaskGone(ILogger logger, string taskId, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Task {TaskId} could not be run and is released to another sink")]
    public static partial void TaskRunFailed(ILogger logger, Exception exception, string taskId);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Task {TaskId} released: {Reason}")]
    public static partial void TaskReleased(ILogger logger, string taskId, string reason);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Task {TaskId}: {Call} failed: {Reason}")]
    public static partial void TaskCallFailed(ILogger logger, string taskId, string call, string reason);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Sink stopping: waiting up to {TimeoutMs:F0} ms for {Count} running tasks")]
    public static partial void WaitingForTasks(ILogger logger, int count, double timeoutMs);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Sink stopping: {Count} tasks did not finish in time and are cancelled")]
    public static partial void TasksAbandoned(ILogger logger, int count);

    [LoggerMessage(EventId = 18, Level = LogLevel.Information, Message = "Sink {SinkId} deregistered")]
    public static partial void Deregistered(ILogger logger, string sinkId);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "Sink {SinkId} could not deregister (the sink manager takes it offline when heartbeats stop): {Reason}")]
    public static partial void DeregisterFailed(ILogger logger, string sinkId, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "The sink's load could not be read; reporting none")]
    public static partial void LoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "A handler of the sink's state change failed")]
    public static partial void StateHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Sink {Name} has no push address and no task runner: it registers as a sink that pulls but takes no tasks")]
    public static partial void NoRunner(ILogger logger, string name);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "The sink agent failed unexpectedly; retrying")]
    public static partial void Unexpected(ILogger logger, Exception exception);
}
