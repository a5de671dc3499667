using Npgsql;

namespace Faas.Storage.Sinks;

/// <summary>A credential sinks log in with; the secret itself is never stored, only its bcrypt hash.</summary>
public sealed record SinkCredentialRecord(
    Guid Id, string Name, string SecretHash, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

/// <summary>The name is taken by a credential that is not revoked.</summary>
public sealed class SinkCredentialConflictException(string name)
    : Exception($"A sink credential named '{name}' exists; revoke it first or pick another name.");

/// <summary>Sink credentials in PostgreSQL.</summary>
public sealed class SinkCredentialStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, name, secret_hash, created_at, last_used_at, revoked_at";

    /// <exception cref="SinkCredentialConflictException">A live credential has the name.</exception>
    public async Task<SinkCredentialRecord> CreateAsync(Guid id, string name, string secretHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"INSERT INTO sink_credentials (id, name, secret_hash) VALUES ($1, $2, $3) ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING {Columns}");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(secretHash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? Read(reader)
            : throw new SinkCredentialConflictException(name);
    }

    public async Task<SinkCredentialRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM sink_credentials WHERE id = $1");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Every credential, newest first, revoked ones included.</summary>
    public async Task<IReadOnlyList<SinkCredentialRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM sink_credentials ORDER BY created_at DESC, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<SinkCredentialRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>Revokes the credential (once: a second revoke keeps the first time); null when there is none.</summary>
    public async Task<SinkCredentialRecord?> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"UPDATE sink_credentials SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING {Columns}");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    public async Task TouchAsync(Guid id, DateTimeOffset usedAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE sink_credentials SET last_used_at = $2 WHERE id = $1");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(usedAt);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SinkCredentialRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetFieldValue<DateTimeOffset>(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
}
