using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Faas.Compiler.Toolchains.Languages;

namespace Faas.Compiler.Toolchains.Builds;

/// <summary>
/// The identity of a build's input: language, entry file, optimisation and every file (name and content,
/// in name order), hashed with sha256. Two deploys with the same digest get the same module, so the module
/// of the first is reused instead of building again.
/// </summary>
public static class SourceDigest
{
    /// <summary>Bumped when the way builds turn sources into modules changes, so older cache entries stop matching.</summary>
    private const string Scheme = "faas-build-v1";

    public static string Compute(SourceLanguage language, IReadOnlyDictionary<string, string> sources, BuildOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        options ??= BuildOptions.Default;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Scheme);
        Append(hash, language.ToName());
        Append(hash, options.EntryFile ?? "");
        Append(hash, options.Optimize ? "O2" : "O0");
        foreach (var (name, content) in sources.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            Append(hash, name);
            Append(hash, content ?? "");
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so no two different inputs run together into the same bytes.</summary>
    private static void Append(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
