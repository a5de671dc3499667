using System.Security.Cryptography;
using Npgsql;

namespace Faas.Storage.Postgres;

/// <summary>Content-addressed WebAssembly modules: the key is the sha256 of the bytes, in lower-case hex.</summary>
public sealed class ArtifactStore(NpgsqlDataSource dataSource)
{
    public static string Hash(ReadOnlySpan<byte> wasm) => Convert.ToHexStringLower(SHA256.HashData(wasm));

    /// <summary>Stores the module if absent and returns its hash.</summary>
    public async Task<string> PutAsync(byte[] wasm, CancellationToken cancellationToken)
    {
        var sha256 = Hash(wasm);
        await using var command = dataSource.CreateCommand(
            "INSERT INTO artifacts (sha256, wasm, size_bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING");
        command.Parameters.AddWithValue(sha256);
        command.Parameters.AddWithValue(wasm);
        command.Parameters.AddWithValue(wasm.Length);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return sha256;
    }

    /// <summary>The module's bytes, or null when no module has that hash.</summary>
    public async Task<byte[]?> GetWasmAsync(string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT wasm FROM artifacts WHERE sha256 = $1");
        command.Parameters.AddWithValue(sha256);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }
}
