namespace Faas.JobSink.Jobs;

/// <summary>The container could not be run or ended without a result, for a reason other than its limits: the run's fate is unknown.</summary>
public sealed class JobFailedException(string container, string reason, Exception inner)
    : Exception($"Job {container} failed: {reason}", inner)
{
    public string Container { get; } = container;
}
