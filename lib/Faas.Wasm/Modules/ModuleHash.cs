using System.Security.Cryptography;

namespace Faas.Wasm.Modules;

/// <summary>Modules are addressed by the sha256 of their bytes, in lower-case hex.</summary>
public static class ModuleHash
{
    public static string Of(ReadOnlySpan<byte> wasm) => Convert.ToHexStringLower(SHA256.HashData(wasm));

    /// <summary>Whether <paramref name="sha256"/> is 64 lower-case hex digits (and so also safe as a file name).</summary>
    public static bool IsValid(string? sha256) =>
        sha256 is { Length: 64 } && !sha256.AsSpan().ContainsAnyExcept("0123456789abcdef");
}
