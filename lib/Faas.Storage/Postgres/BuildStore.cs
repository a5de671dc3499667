using System.Text.Json;
using Faas.Storage.Model;
using Npgsql;
using NpgsqlTypes;

namespace Faas.Storage.Postgres;

/// <summary>
/// Builds of versions deployed from source, and the build cache (which module each build input produced).
/// The version's state is the truth users see; the build row says how it got there.
/// </summary>
public sealed class BuildStore(NpgsqlDataSource dataSource, FunctionStore functions)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string Columns =
        "f.tenant_id, f.id, f.name, b.version, b.language, b.source_sha256, b.entry_file, b.state, b.attempts, b.cache_hit, "
        + "b.error, b.diagnostics, b.log, b.toolchain, b.queued_at, b.started_at, b.finished_at";

    private const string Join = "FROM builds b JOIN functions f ON f.id = b.function_id";

    /// <summary>
    /// Adds a version built from <paramref name="input"/>: BUILDING with a queued build, or, when
    /// <paramref name="cachedModuleSha256"/> names the module an identical input produced before, READY at once
    /// with a build that is a cache hit. One transaction: there is never a version without its build.
    /// </summary>
    public async Task<FunctionVersion> AddVersionAsync(
        Guid tenantId, string name, BuildInput input, string? cachedModuleSha256, FunctionConfig config, string description,
        CancellationToken cancellationToken, int maxFunctions = int.MaxValue, int maxVersions = int.MaxValue)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var cached = cachedModuleSha256 is not null;
        var (functionId, version) = await FunctionStore.InsertVersionAsync(
            connection, transaction, tenantId, name, input.Language, cached ? VersionState.Ready : VersionState.Building,
            cachedModuleSha256, input.SingleSource, config, description, maxFunctions, maxVersions, cancellationToken).ConfigureAwait(false);

        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO builds (function_id, version, language, source_sha256, sources, entry_file, state, cache_hit, started_at, finished_at)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, CASE WHEN $8 THEN now() END, CASE WHEN $8 THEN now() END)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue(functionId);
            insert.Parameters.AddWithValue(version);
            insert.Parameters.AddWithValue(input.Language);
            insert.Parameters.AddWithValue(input.SourceSha256);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(input.Sources, Json));
            insert.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)input.EntryFile ?? DBNull.Value);
            insert.Parameters.AddWithValue((cached ? BuildState.Succeeded : BuildState.Queued).ToString());
            insert.Parameters.AddWithValue(cached);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return await functions.GetVersionAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("A version vanished right after it was written.");
    }

    /// <summary>The build of a version; null when the version was not built from source (or is gone).</summary>
    public async Task<BuildRecord?> GetAsync(Guid functionId, int version, CancellationToken cancellationToken)
    {
        var builds = await ListAsync(functionId, [version], cancellationToken).ConfigureAwait(false);
        return builds.GetValueOrDefault(version);
    }

    /// <summary>The builds of several versions of a function, by version (versions not built from source are absent).</summary>
    public async Task<IReadOnlyDictionary<int, BuildRecord>> ListAsync(Guid functionId, IReadOnlyCollection<int> versions, CancellationToken cancellationToken)
    {
        var builds = new Dictionary<int, BuildRecord>();
        if (versions.Count == 0)
        {
            return builds;
        }

        await using var command = dataSource.CreateCommand($"SELECT {Columns} {Join} WHERE b.function_id = $1 AND b.version = ANY($2)");
        command.Parameters.AddWithValue(functionId);
        command.Parameters.AddWithValue(versions.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var build = Read(reader);
            builds[build.Version] = build;
        }

        return builds;
    }

    /// <summary>The files of a build; null when the build is gone (its function was deleted).</summary>
    public async Task<IReadOnlyDictionary<string, string>?> GetSourcesAsync(Guid functionId, int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT sources::text FROM builds WHERE function_id = $1 AND version = $2");
        command.Parameters.AddWithValue(functionId);
        command.Parameters.AddWithValue(version);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(json, Json)
            : null;
    }

    /// <summary>
    /// Marks a build as taken by a compiler and counts the attempt; false when there is nothing to do (the build
    /// is finished or gone), so a redelivered message is dropped.
    /// </summary>
    public async Task<bool> StartAsync(Guid functionId, int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            UPDATE builds SET state = '{BuildState.Running}', attempts = attempts + 1, started_at = now()
            WHERE function_id = $1 AND version = $2 AND state IN ('{BuildState.Queued}', '{BuildState.Running}')
            """);
        command.Parameters.AddWithValue(functionId);
        command.Parameters.AddWithValue(version);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Records how a build ended and moves its version to READY (with the module) or BUILD_FAILED, in one
    /// transaction. False when the build was already finished or is gone.
    /// </summary>
    public async Task<bool> CompleteAsync(Guid functionId, int version, BuildOutcome outcome, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var build = new NpgsqlCommand(
            $"""
            UPDATE builds SET state = $3, cache_hit = $4, error = $5, diagnostics = $6::jsonb, log = $7, toolchain = $8, finished_at = now(),
                              started_at = COALESCE(started_at, now())
            WHERE function_id = $1 AND version = $2 AND state IN ('{BuildState.Queued}', '{BuildState.Running}')
            """, connection, transaction))
        {
            build.Parameters.AddWithValue(functionId);
            build.Parameters.AddWithValue(version);
            build.Parameters.AddWithValue((outcome.Succeeded ? BuildState.Succeeded : BuildState.Failed).ToString());
            build.Parameters.AddWithValue(outcome.CacheHit);
            build.Parameters.AddWithValue(outcome.Error);
            build.Parameters.AddWithValue(JsonSerializer.Serialize(outcome.Diagnostics, Json));
            build.Parameters.AddWithValue(outcome.Log.Replace("\0", "", StringComparison.Ordinal));
            build.Parameters.AddWithValue(outcome.Toolchain);
            if (await build.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        await using (var versionUpdate = new NpgsqlCommand(
            $"UPDATE function_versions SET state = $3, module_sha256 = $4 WHERE function_id = $1 AND version = $2 AND state = '{VersionState.Building}'",
            connection, transaction))
        {
            versionUpdate.Parameters.AddWithValue(functionId);
            versionUpdate.Parameters.AddWithValue(version);
            versionUpdate.Parameters.AddWithValue((outcome.Succeeded ? VersionState.Ready : VersionState.BuildFailed).ToString());
            versionUpdate.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)outcome.ModuleSha256 ?? DBNull.Value);
            await versionUpdate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The module an identical input produced before, if it is still stored.</summary>
    public async Task<string?> FindOutputAsync(string sourceSha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o.module_sha256 FROM build_outputs o JOIN artifacts a ON a.sha256 = o.module_sha256 WHERE o.source_sha256 = $1");
        command.Parameters.AddWithValue(sourceSha256);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>Remembers the module an input produced (the module must be stored already).</summary>
    public async Task PutOutputAsync(string sourceSha256, string moduleSha256, string toolchain, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO build_outputs (source_sha256, module_sha256, toolchain) VALUES ($1, $2, $3)
            ON CONFLICT (source_sha256) DO UPDATE SET module_sha256 = EXCLUDED.module_sha256, toolchain = EXCLUDED.toolchain, created_at = now()
            """);
        command.Parameters.AddWithValue(sourceSha256);
        command.Parameters.AddWithValue(moduleSha256);
        command.Parameters.AddWithValue(toolchain);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unfinished builds queued before <paramref name="queuedBefore"/>, oldest first.</summary>
    public async Task<IReadOnlyList<BuildRecord>> ListUnfinishedAsync(DateTimeOffset queuedBefore, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {Columns} {Join}
            WHERE b.state IN ('{BuildState.Queued}', '{BuildState.Running}') AND b.queued_at < $1
            ORDER BY b.queued_at LIMIT $2
            """);
        command.Parameters.AddWithValue(queuedBefore);
        command.Parameters.AddWithValue(limit);
        var builds = new List<BuildRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            builds.Add(Read(reader));
        }

        return builds;
    }

    private static BuildRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetGuid(1),
        reader.GetString(2),
        reader.GetInt32(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.IsDBNull(6) ? null : reader.GetString(6),
        Enum.Parse<BuildState>(reader.GetString(7)),
        reader.GetInt32(8),
        reader.GetBoolean(9),
        reader.GetString(10),
        JsonSerializer.Deserialize<SourceDiagnostic[]>(reader.GetString(11), Json) ?? [],
        reader.GetString(12),
        reader.GetString(13),
        reader.GetFieldValue<DateTimeOffset>(14),
        reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
        reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16));
}
