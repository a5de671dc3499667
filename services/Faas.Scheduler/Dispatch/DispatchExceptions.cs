namespace Faas.Scheduler.Dispatch;

/// <summary>No sink is reachable.</summary>
public sealed class NoWorkerAvailableException(string reason = "No sink is available.") : Exception(reason);

/// <summary>Sinks are online, but none can run the function (its runtime, mode or memory): a configuration problem, not load.</summary>
public sealed class NoSinkCanRunException(string reason) : Exception(reason);

/// <summary>Too many tasks wait at the sink manager for sinks that pull; come back shortly.</summary>
public sealed class SinkBacklogFullException(string reason)
    : Queues.QueueFullException(reason, TimeSpan.FromSeconds(1));

/// <summary>The sink died, went offline or broke during the call; the outcome of the run is unknown.</summary>
public sealed class WorkerFailedException(string worker, string reason, Exception inner, bool sinkLost = false)
    : Exception($"Sink {worker} failed during the invocation: {reason}", inner)
{
    /// <summary>The sink went offline or left mid-call (rather than the call breaking): retrying elsewhere at once is right.</summary>
    public bool SinkLost { get; } = sinkLost;
}

/// <summary>The sink refused the call before running anything, and said why (JOB mode with no container runtime, say).</summary>
public sealed class SinkCouldNotRunException(string sink, string reason, Exception inner)
    : Exception($"Sink {sink} could not run the invocation: {reason}", inner);
