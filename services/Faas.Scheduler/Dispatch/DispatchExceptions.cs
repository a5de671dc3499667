namespace Faas.Scheduler.Dispatch;

/// <summary>No runtime worker is reachable.</summary>
public sealed class NoWorkerAvailableException() : Exception("No runtime worker is available.");

/// <summary>The worker died or broke during the call; the outcome of the run is unknown.</summary>
public sealed class WorkerFailedException(string worker, string reason, Exception inner)
    : Exception($"Runtime worker {worker} failed during the invocation: {reason}", inner);
