namespace Faas.Wasm.Wasi;

/// <summary>Stops the guest when it writes more to stdout than the worker accepts.</summary>
internal sealed class OutputLimitExceededException(int limit)
    : Exception($"stdout exceeded the output limit of {limit} bytes")
{
    public int Limit { get; } = limit;
}
