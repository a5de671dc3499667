namespace Faas.Gateway.Invocation;

/// <summary>A successful synchronous run: the function's stdout and the execution's id.</summary>
public sealed record InvocationResult(string ExecutionId, ReadOnlyMemory<byte> Output);
