namespace Faas.Wasm.Wasi;

/// <summary>Unwinds the guest when it calls <c>proc_exit</c>; the code is also kept in the invocation state.</summary>
internal sealed class GuestExitException(int exitCode) : Exception($"exited with code {exitCode}")
{
    public int ExitCode { get; } = exitCode;
}
