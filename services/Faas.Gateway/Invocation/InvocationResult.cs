using Faas.Gateway.HttpFunctions;

namespace Faas.Gateway.Invocation;

/// <summary>A successful synchronous run: the function's stdout and the execution's id.</summary>
public sealed record InvocationResult(string ExecutionId, ReadOnlyMemory<byte> Output)
{
    /// <summary>An HTTP function's response, read from <see cref="Output"/>; null for other functions.</summary>
    public CgiResponse? Http { get; init; }
}

/// <summary>
/// A call of an HTTP function: its method and path as recorded (the path after the function's name, as it came, with the
/// query) and the CGI variables the run is given.
/// </summary>
public sealed record HttpCall(string Method, string Path, IReadOnlyDictionary<string, string> Variables)
{
    public Faas.Storage.Model.HttpExchange Recorded(int statusCode) => new(Method, Path, statusCode);
}
