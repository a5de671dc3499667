namespace Faas.Protos.V1;

/// <summary>How a failed run is described to people: the same words for synchronous and asynchronous executions.</summary>
public static class ExecuteResponseExtensions
{
    /// <summary>"exited with code 3", "timed out after 1000 ms", …, followed by the worker's own detail when it adds something.</summary>
    public static string DescribeFailure(this ExecuteResponse result, uint timeoutMs, uint memoryMb)
    {
        var reason = result.Outcome switch
        {
            ExecutionOutcome.Timeout => $"timed out after {timeoutMs} ms",
            ExecutionOutcome.ExitedNonZero => $"exited with code {result.ExitCode}",
            ExecutionOutcome.OutOfMemory => $"ran out of memory (limit {memoryMb} MiB)",
            ExecutionOutcome.Trapped => "trapped",
            ExecutionOutcome.InstantiationFailed => "could not be instantiated",
            _ => "failed",
        };
        return string.IsNullOrEmpty(result.Error) || result.Error == reason ? reason : $"{reason}: {result.Error}";
    }
}
