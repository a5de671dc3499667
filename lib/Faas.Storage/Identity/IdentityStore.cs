using Faas.Storage.Model;
using Npgsql;
using NpgsqlTypes;

namespace Faas.Storage.Identity;

/// <summary>Tenants, users and API keys in PostgreSQL.</summary>
public sealed class IdentityStore(NpgsqlDataSource dataSource)
{
    private const string UserColumns = "u.id, u.tenant_id, t.name, u.email, u.password_hash, u.role, u.created_at";
    private const string UserJoin = "FROM users u JOIN tenants t ON t.id = u.tenant_id";
    private const string TenantColumns = "id, name, max_functions, max_concurrent_executions, invocations_per_second, invocation_burst, created_at";

    /// <summary>Creates a tenant and its first user in one transaction.</summary>
    public async Task<User> CreateTenantWithUserAsync(string tenantName, string email, string? passwordHash, Role role, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var tenantId = Guid.CreateVersion7();
        await using (var insert = new NpgsqlCommand("INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", connection, transaction))
        {
            insert.Parameters.AddWithValue(tenantId);
            insert.Parameters.AddWithValue(tenantName);
            if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new IdentityConflictException($"The tenant name '{tenantName}' is taken.", emailTaken: false);
            }
        }

        var userId = await InsertUserAsync(connection, transaction, tenantId, email, passwordHash, role, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return await GetUserAsync(userId, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("A user vanished right after it was written.");
    }

    /// <summary>Adds a user to an existing tenant.</summary>
    public async Task<User> CreateUserAsync(Guid tenantId, string email, string? passwordHash, Role role, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var userId = await InsertUserAsync(connection, null, tenantId, email, passwordHash, role, cancellationToken).ConfigureAwait(false);
        return await GetUserAsync(userId, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("A user vanished right after it was written.");
    }

    private static async Task<Guid> InsertUserAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid tenantId, string email, string? passwordHash, Role role, CancellationToken cancellationToken)
    {
        var userId = Guid.CreateVersion7();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO users (id, tenant_id, email, password_hash, role) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (lower(email)) DO NOTHING",
            connection, transaction);
        insert.Parameters.AddWithValue(userId);
        insert.Parameters.AddWithValue(tenantId);
        insert.Parameters.AddWithValue(email);
        insert.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)passwordHash ?? DBNull.Value);
        insert.Parameters.AddWithValue(RoleName(role));
        if (await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new IdentityConflictException($"A user with the e-mail address '{email}' exists.", emailTaken: true);
        }

        return userId;
    }

    public async Task<User?> GetUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {UserColumns} {UserJoin} WHERE u.id = $1");
        command.Parameters.AddWithValue(userId);
        return await ReadUserAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<User?> FindUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {UserColumns} {UserJoin} WHERE lower(u.email) = lower($1)");
        command.Parameters.AddWithValue(email);
        return await ReadUserAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Users by e-mail address, a page at a time.</summary>
    public async Task<Page<User>> ListUsersAsync(int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {UserColumns} {UserJoin} WHERE ($1::text IS NULL OR lower(u.email) > $1) ORDER BY lower(u.email) LIMIT $2");
        command.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)Postgres.PageToken.Decode(pageToken) ?? DBNull.Value);
        command.Parameters.AddWithValue(pageSize + 1);
        var users = new List<User>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                users.Add(ReadUser(reader));
            }
        }

        return Page<User>.Of(users, pageSize, u => u.Email.ToLowerInvariant());
    }

    /// <summary>Deletes a user and their API keys; false when there was none.</summary>
    public async Task<bool> DeleteUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM users WHERE id = $1");
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Whether the user exists, and since when their login tokens are good (null: all unexpired ones).</summary>
    public async Task<(bool Exists, DateTimeOffset? TokensValidAfter)> GetTokenStateAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT tokens_valid_after FROM users WHERE id = $1");
        command.Parameters.AddWithValue(userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return (false, null);
        }

        return (true, reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0));
    }

    /// <summary>Refuses every login token of the user issued until now.</summary>
    public async Task RevokeTokensAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE users SET tokens_valid_after = now() WHERE id = $1");
        command.Parameters.AddWithValue(userId);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> AnyAdminAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')");
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Creates an API key. With <paramref name="maxKeys"/>: refuses a key beyond that many not revoked
    /// (<see cref="ApiKeyLimitExceededException"/>), and deletes the user's oldest revoked keys so that, with the new one,
    /// they have at most that many: revoked keys stay on the record while there is room.
    /// </summary>
    public async Task<ApiKey> CreateApiKeyAsync(
        Guid keyId, Guid userId, string name, byte[] secretSha256, DateTimeOffset? expiresAt, CancellationToken cancellationToken, int maxKeys = int.MaxValue)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (maxKeys < int.MaxValue)
        {
            await MakeRoomForKeyAsync(connection, transaction, userId, maxKeys, cancellationToken).ConfigureAwait(false);
        }

        await using var command = new NpgsqlCommand(
            "INSERT INTO api_keys (id, user_id, name, secret_sha256, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING created_at", connection, transaction);
        command.Parameters.AddWithValue(keyId);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(secretSha256);
        command.Parameters.AddWithValue(NpgsqlDbType.TimestampTz, (object?)expiresAt ?? DBNull.Value);
        var createdAt = (DateTime)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ApiKey(keyId, userId, name, new DateTimeOffset(createdAt, TimeSpan.Zero), expiresAt, null, null);
    }

    /// <summary>Holds the user's row for the rest of the transaction, so concurrent creations count one after the other.</summary>
    private static async Task MakeRoomForKeyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, int maxKeys, CancellationToken cancellationToken)
    {
        await using (var lockUser = new NpgsqlCommand("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockUser.Parameters.AddWithValue(userId);
            await lockUser.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int active;
        await using (var count = new NpgsqlCommand("SELECT count(*)::int FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL", connection, transaction))
        {
            count.Parameters.AddWithValue(userId);
            active = (int)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (active >= maxKeys)
        {
            throw new ApiKeyLimitExceededException(maxKeys);
        }

        await using var prune = new NpgsqlCommand(
            """
            DELETE FROM api_keys WHERE id IN (
                SELECT id FROM api_keys WHERE user_id = $1 AND revoked_at IS NOT NULL ORDER BY revoked_at DESC, id OFFSET $2)
            """, connection, transaction);
        prune.Parameters.AddWithValue(userId);
        prune.Parameters.AddWithValue(maxKeys - 1 - active);
        await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The key and whom it stands for; null when there is no such key (revoked keys are returned, marked).</summary>
    public async Task<ApiKeyIdentity?> FindApiKeyAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT k.id, k.secret_sha256, k.expires_at, k.revoked_at, u.id, u.email, u.tenant_id, u.role
            FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1
            """);
        command.Parameters.AddWithValue(keyId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new ApiKeyIdentity(
            reader.GetGuid(0), reader.GetFieldValue<byte[]>(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            reader.GetGuid(4), reader.GetString(5), reader.GetGuid(6), ParseRole(reader.GetString(7)));
    }

    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, user_id, name, created_at, expires_at, revoked_at, last_used_at FROM api_keys WHERE user_id = $1 ORDER BY created_at, id");
        command.Parameters.AddWithValue(userId);
        var keys = new List<ApiKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new ApiKey(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return keys;
    }

    /// <summary>Revokes one of the user's keys; false when the user has no such key. Revoking twice keeps the first time.</summary>
    public async Task<bool> RevokeApiKeyAsync(Guid userId, Guid keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND user_id = $2");
        command.Parameters.AddWithValue(keyId);
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Records when keys were last used (called in batches, not per request).</summary>
    public async Task TouchApiKeysAsync(IReadOnlyCollection<Guid> keyIds, DateTimeOffset usedAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, $2), $2) WHERE id = ANY($1)");
        command.Parameters.AddWithValue(keyIds.ToArray());
        command.Parameters.AddWithValue(usedAt);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Tenant?> GetTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TenantColumns} FROM tenants WHERE id = $1");
        command.Parameters.AddWithValue(tenantId);
        return await ReadTenantAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Tenant?> FindTenantByNameAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TenantColumns} FROM tenants WHERE name = $1");
        command.Parameters.AddWithValue(name);
        return await ReadTenantAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TenantColumns} FROM tenants ORDER BY name");
        var tenants = new List<Tenant>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tenants.Add(ReadTenant(reader));
        }

        return tenants;
    }

    /// <summary>Replaces the tenant's quota; false when there is no such tenant.</summary>
    public async Task<bool> SetQuotaAsync(Guid tenantId, TenantQuota quota, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE tenants SET max_functions = $2, max_concurrent_executions = $3, invocations_per_second = $4, invocation_burst = $5
            WHERE id = $1
            """);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(NpgsqlDbType.Integer, (object?)quota.MaxFunctions ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlDbType.Integer, (object?)quota.MaxConcurrentExecutions ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlDbType.Integer, (object?)quota.InvocationsPerSecond ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlDbType.Integer, (object?)quota.InvocationBurst ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public static string RoleName(Role role) => role == Role.Admin ? "admin" : "developer";

    public static Role ParseRole(string role) => role == "admin" ? Role.Admin : Role.Developer;

    private static async Task<User?> ReadUserAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadUser(reader) : null;
    }

    private static User ReadUser(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), ParseRole(reader.GetString(5)), reader.GetFieldValue<DateTimeOffset>(6));

    private static async Task<Tenant?> ReadTenantAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadTenant(reader) : null;
    }

    private static Tenant ReadTenant(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1),
        new TenantQuota(NullableInt(reader, 2), NullableInt(reader, 3), NullableInt(reader, 4), NullableInt(reader, 5)),
        reader.GetFieldValue<DateTimeOffset>(6));

    private static int? NullableInt(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
}
