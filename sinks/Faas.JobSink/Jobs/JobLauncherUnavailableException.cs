namespace Faas.JobSink.Jobs;

/// <summary>A JOB-mode invocation arrived where no container runtime can run it; the message says what is missing.</summary>
public sealed class JobLauncherUnavailableException(string reason)
    : Exception($"JOB-mode functions cannot run here: {reason}");
