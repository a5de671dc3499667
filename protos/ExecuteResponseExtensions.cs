namespace Faas.Protos.V1;

/// <summary>
/// The one reading of a run's outcome, for synchronous and asynchronous executions alike: whether it succeeded, its
/// name in an attempt's record, and how a failure is described to people.
/// </summary>
public static class ExecuteResponseExtensions
{
    /// <summary>Whether the function ran and exited 0.</summary>
    public static bool Succeeded(this ExecuteResponse result) => result.Outcome == ExecutionOutcome.Ok;

    /// <summary>The outcome as an attempt records it: <c>OK</c>, <c>EXITED_NON_ZERO</c>, <c>TRAPPED</c>, <c>TIMEOUT</c>, …</summary>
    public static string Name(this ExecutionOutcome outcome) => outcome switch
    {
        ExecutionOutcome.Ok => "OK",
        ExecutionOutcome.ExitedNonZero => "EXITED_NON_ZERO",
        ExecutionOutcome.Trapped => "TRAPPED",
        ExecutionOutcome.Timeout => "TIMEOUT",
        ExecutionOutcome.OutOfMemory => "OUT_OF_MEMORY",
        ExecutionOutcome.InstantiationFailed => "INSTANTIATION_FAILED",
        _ => "FAILED",
    };

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
