using System.Text.Json;
using System.Text.Json.Serialization;
using Faas.Storage.Model;
using Npgsql;

namespace Faas.Storage.Postgres;

/// <summary>Functions and their immutable versions in PostgreSQL.</summary>
public sealed class FunctionStore(NpgsqlDataSource dataSource)
{
    internal static readonly JsonSerializerOptions ConfigJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private const string VersionColumns =
        "f.tenant_id, f.id, f.name, v.version, v.language, v.state, v.module_sha256, COALESCE(a.size_bytes, 0), v.config, v.description, v.created_at";

    private const string VersionJoin =
        "FROM functions f JOIN function_versions v ON v.function_id = f.id LEFT JOIN artifacts a ON a.sha256 = v.module_sha256";

    /// <summary>
    /// Adds a version, creating the function when its name is new (unless the tenant already has
    /// <paramref name="maxFunctions"/>: <see cref="FunctionQuotaExceededException"/>; nor beyond <paramref name="maxVersions"/>
    /// versions of the function: <see cref="VersionLimitExceededException"/>); returns the new version.
    /// </summary>
    public async Task<FunctionVersion> AddVersionAsync(
        Guid tenantId, string name, string language, VersionState state, string? moduleSha256, string? source,
        FunctionConfig config, string description, CancellationToken cancellationToken, int maxFunctions = int.MaxValue, int maxVersions = int.MaxValue)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var (_, version) = await InsertVersionAsync(
            connection, transaction, tenantId, name, language, state, moduleSha256, source, config, description, maxFunctions, maxVersions,
            cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return await GetVersionAsync(tenantId, name, version, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("A version vanished right after it was written.");
    }

    /// <summary>
    /// Inserts a version inside the caller's transaction, creating the function when its name is new;
    /// returns the function's id and the new version number.
    /// </summary>
    internal static async Task<(Guid FunctionId, int Version)> InsertVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string name, string language, VersionState state,
        string? moduleSha256, string? source, FunctionConfig config, string description, int maxFunctions, int maxVersions,
        CancellationToken cancellationToken)
    {
        if (maxFunctions < int.MaxValue)
        {
            await CheckFunctionQuotaAsync(connection, transaction, tenantId, name, maxFunctions, cancellationToken).ConfigureAwait(false);
        }

        Guid functionId;
        int version;
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO functions (id, tenant_id, name, latest_version) VALUES ($1, $2, $3, 1)
            ON CONFLICT (tenant_id, name) DO UPDATE SET latest_version = functions.latest_version + 1, updated_at = now()
            RETURNING id, latest_version
            """, connection, transaction))
        {
            upsert.Parameters.AddWithValue(Guid.CreateVersion7());
            upsert.Parameters.AddWithValue(tenantId);
            upsert.Parameters.AddWithValue(name);
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            functionId = reader.GetGuid(0);
            version = reader.GetInt32(1);
        }

        if (maxVersions < int.MaxValue)
        {
            // The upsert holds the function's row until the transaction ends, so concurrent deploys count one after the other.
            await using var count = new NpgsqlCommand("SELECT count(*)::int FROM function_versions WHERE function_id = $1", connection, transaction);
            count.Parameters.AddWithValue(functionId);
            if ((int)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! >= maxVersions)
            {
                throw new VersionLimitExceededException(name, maxVersions);
            }
        }

        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO function_versions (function_id, version, language, state, module_sha256, source, config, description)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue(functionId);
            insert.Parameters.AddWithValue(version);
            insert.Parameters.AddWithValue(language);
            insert.Parameters.AddWithValue(state.ToString());
            insert.Parameters.AddWithValue((object?)moduleSha256 ?? DBNull.Value);
            insert.Parameters.AddWithValue((object?)source ?? DBNull.Value);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(config, ConfigJson));
            insert.Parameters.AddWithValue(description);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return (functionId, version);
    }

    /// <summary>
    /// Holds the tenant's row for the rest of the transaction, so concurrent deploys count one after the other, and
    /// refuses a new name when the tenant already has <paramref name="maxFunctions"/> functions.
    /// </summary>
    private static async Task CheckFunctionQuotaAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string name, int maxFunctions, CancellationToken cancellationToken)
    {
        await using (var lockTenant = new NpgsqlCommand("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockTenant.Parameters.AddWithValue(tenantId);
            await lockTenant.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var count = new NpgsqlCommand(
            "SELECT count(*)::int, bool_or(name = $2) FROM functions WHERE tenant_id = $1", connection, transaction);
        count.Parameters.AddWithValue(tenantId);
        count.Parameters.AddWithValue(name);
        await using var reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var functions = reader.GetInt32(0);
        var exists = !reader.IsDBNull(1) && reader.GetBoolean(1);
        if (!exists && functions >= maxFunctions)
        {
            throw new FunctionQuotaExceededException(maxFunctions);
        }
    }

    /// <summary>One version, or the latest when <paramref name="version"/> is 0; null when absent.</summary>
    public Task<FunctionVersion?> GetVersionAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken) =>
        GetVersionAsync(tenantId, name, version, newestReady: false, cancellationToken);

    /// <summary>
    /// The version an invocation runs: the one pinned, or when <paramref name="version"/> is 0 the newest READY
    /// version (a newer one still building or failed is not live yet); null when there is none.
    /// </summary>
    public Task<FunctionVersion?> GetRunnableVersionAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken) =>
        GetVersionAsync(tenantId, name, version, newestReady: true, cancellationToken);

    private async Task<FunctionVersion?> GetVersionAsync(Guid tenantId, string name, int version, bool newestReady, CancellationToken cancellationToken)
    {
        var versionFilter = version != 0 ? "v.version = $3"
            : newestReady ? $"v.version = (SELECT max(r.version) FROM function_versions r WHERE r.function_id = f.id AND r.state = '{VersionState.Ready}')"
            : "v.version = f.latest_version";
        await using var command = dataSource.CreateCommand(
            $"SELECT {VersionColumns} {VersionJoin} WHERE f.tenant_id = $1 AND f.name = $2 AND {versionFilter}");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        if (version != 0)
        {
            command.Parameters.AddWithValue(version);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadVersion(reader) : null;
    }

    /// <summary>
    /// The live version (newest READY) of every function, in every tenant, that keeps instances warm
    /// (<see cref="FunctionConfig.MinWarm"/> above 0, WARM mode): what the scheduler's warm pool prewarms before any call.
    /// At most <paramref name="limit"/>, the most recently deployed first.
    /// </summary>
    public async Task<IReadOnlyList<FunctionVersion>> ListWarmPoolVersionsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {VersionColumns} {VersionJoin}
            WHERE v.version = (SELECT max(r.version) FROM function_versions r WHERE r.function_id = f.id AND r.state = '{VersionState.Ready}')
              AND COALESCE((v.config->>'minWarm')::int, 0) > 0
              AND COALESCE(v.config->>'mode', '{ExecutionMode.Warm}') = '{ExecutionMode.Warm}'
            ORDER BY v.created_at DESC
            LIMIT $1
            """);
        command.Parameters.AddWithValue(limit);
        var versions = new List<FunctionVersion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            versions.Add(ReadVersion(reader));
        }

        return versions;
    }

    public async Task<FunctionSummary?> GetAsync(Guid tenantId, string name, CancellationToken cancellationToken)
    {
        var page = await ListAsync(tenantId, name, 1, null, cancellationToken).ConfigureAwait(false);
        return page.Items.Count == 1 ? page.Items[0] : null;
    }

    /// <summary>Functions by name, a page at a time.</summary>
    public Task<Page<FunctionSummary>> ListAsync(Guid tenantId, int pageSize, string? pageToken, CancellationToken cancellationToken) =>
        ListAsync(tenantId, null, pageSize, PageToken.Decode(pageToken), cancellationToken);

    private async Task<Page<FunctionSummary>> ListAsync(Guid tenantId, string? exactName, int pageSize, string? afterName, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT f.created_at, f.updated_at, (SELECT count(*) FROM function_versions c WHERE c.function_id = f.id)::int, {VersionColumns}
            {VersionJoin}
            WHERE f.tenant_id = $1 AND v.version = f.latest_version
              AND ($2::text IS NULL OR f.name = $2) AND ($3::text IS NULL OR f.name > $3)
            ORDER BY f.name
            LIMIT $4
            """);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)exactName ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)afterName ?? DBNull.Value);
        command.Parameters.AddWithValue(pageSize + 1);

        var items = new List<FunctionSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var latest = ReadVersion(reader, offset: 3);
            items.Add(new FunctionSummary(
                latest.FunctionId, latest.FunctionName,
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt32(2), latest));
        }

        return Page<FunctionSummary>.Of(items, pageSize, f => f.Name);
    }

    /// <summary>Versions of a function, newest first; null when the function does not exist.</summary>
    public async Task<Page<FunctionVersion>?> ListVersionsAsync(Guid tenantId, string name, int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        var before = PageToken.Decode(pageToken) is { } token
            ? int.TryParse(token, out var v) ? v : throw new InvalidPageTokenException()
            : int.MaxValue;
        await using var command = dataSource.CreateCommand(
            $"SELECT {VersionColumns} {VersionJoin} WHERE f.tenant_id = $1 AND f.name = $2 AND v.version < $3 ORDER BY v.version DESC LIMIT $4");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(before);
        command.Parameters.AddWithValue(pageSize + 1);

        var items = new List<FunctionVersion>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(ReadVersion(reader));
            }
        }

        if (items.Count == 0 && await GetAsync(tenantId, name, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        return Page<FunctionVersion>.Of(items, pageSize, v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Deletes one version of a function (its build with it), unless it is the latest version or the newest READY one,
    /// which stay. The function's row is held meanwhile, so a concurrent deploy or delete waits.
    /// </summary>
    public async Task<VersionDeletion> DeleteVersionAsync(Guid tenantId, string name, int version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var find = new NpgsqlCommand(
            $"""
            SELECT f.id, f.latest_version,
                   (SELECT max(r.version) FROM function_versions r WHERE r.function_id = f.id AND r.state = '{VersionState.Ready}')
            FROM functions f WHERE f.tenant_id = $1 AND f.name = $2 FOR UPDATE OF f
            """, connection, transaction))
        {
            find.Parameters.AddWithValue(tenantId);
            find.Parameters.AddWithValue(name);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return VersionDeletion.NotFound;
            }

            var serving = reader.IsDBNull(2) ? (int?)null : reader.GetInt32(2);
            if (version == reader.GetInt32(1))
            {
                return VersionDeletion.Latest;
            }

            if (version == serving)
            {
                return VersionDeletion.Serving;
            }
        }

        await using var delete = new NpgsqlCommand(
            "DELETE FROM function_versions v USING functions f WHERE v.function_id = f.id AND f.tenant_id = $1 AND f.name = $2 AND v.version = $3",
            connection, transaction);
        delete.Parameters.AddWithValue(tenantId);
        delete.Parameters.AddWithValue(name);
        delete.Parameters.AddWithValue(version);
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted ? VersionDeletion.Deleted : VersionDeletion.NotFound;
    }

    /// <summary>Deletes a function and its versions; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(Guid tenantId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM functions WHERE tenant_id = $1 AND name = $2");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    private static FunctionVersion ReadVersion(NpgsqlDataReader reader, int offset = 0) => new(
        reader.GetGuid(offset),
        reader.GetGuid(offset + 1),
        reader.GetString(offset + 2),
        reader.GetInt32(offset + 3),
        reader.GetString(offset + 4),
        Enum.Parse<VersionState>(reader.GetString(offset + 5)),
        reader.IsDBNull(offset + 6) ? null : reader.GetString(offset + 6),
        reader.GetInt32(offset + 7),
        JsonSerializer.Deserialize<FunctionConfig>(reader.GetString(offset + 8), ConfigJson)!,
        reader.GetString(offset + 9),
        reader.GetFieldValue<DateTimeOffset>(offset + 10));
}
