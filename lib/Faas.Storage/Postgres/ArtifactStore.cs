using System.Security.Cryptography;
using Npgsql;

namespace Faas.Storage.Postgres;

/// <summary>
/// Content-addressed WebAssembly modules: the key is the sha256 of the bytes, in lower-case hex. Next to a
/// module, its precompiled forms, one per engine fingerprint, each checked against its own sha256 when read.
/// </summary>
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

    /// <summary>Stores a module's precompiled form for engines with <paramref name="engineFingerprint"/> (the module must be stored).</summary>
    public async Task PutPrecompiledAsync(string moduleSha256, string engineFingerprint, byte[] precompiled, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO precompiled_artifacts (module_sha256, engine_fingerprint, sha256, precompiled, size_bytes) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (module_sha256, engine_fingerprint) DO UPDATE
              SET sha256 = EXCLUDED.sha256, precompiled = EXCLUDED.precompiled, size_bytes = EXCLUDED.size_bytes, created_at = now()
            """);
        command.Parameters.AddWithValue(moduleSha256);
        command.Parameters.AddWithValue(engineFingerprint);
        command.Parameters.AddWithValue(Hash(precompiled));
        command.Parameters.AddWithValue(precompiled);
        command.Parameters.AddWithValue(precompiled.Length);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The module's precompiled form for engines with <paramref name="engineFingerprint"/>; null when there is
    /// none or its bytes no longer match their hash.
    /// </summary>
    public async Task<byte[]?> GetPrecompiledAsync(string moduleSha256, string engineFingerprint, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT sha256, precompiled FROM precompiled_artifacts WHERE module_sha256 = $1 AND engine_fingerprint = $2");
        command.Parameters.AddWithValue(moduleSha256);
        command.Parameters.AddWithValue(engineFingerprint);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var bytes = reader.GetFieldValue<byte[]>(1);
        return Hash(bytes) == reader.GetString(0) ? bytes : null;
    }
}
