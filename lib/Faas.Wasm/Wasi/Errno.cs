namespace Faas.Wasm.Wasi;

/// <summary>The WASI preview1 error codes the host returns.</summary>
internal static class Errno
{
    public const int Success = 0;
    public const int Badf = 8;
    public const int Fault = 21;
    public const int Inval = 28;
    public const int Nosys = 52;
    public const int Notdir = 54;
    public const int Notsock = 57;
    public const int Notsup = 58;
    public const int Spipe = 70;
}
