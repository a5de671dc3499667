using Npgsql;
using NpgsqlTypes;

namespace Faas.Storage.Logs;

/// <summary>Functions' log lines in PostgreSQL (table <c>function_logs</c>).</summary>
public sealed class FunctionLogStore(NpgsqlDataSource dataSource)
{
    /// <summary>The channel a commit of new lines is announced on; the payload is the tenant's id.</summary>
    public const string Channel = "faas_logs";

    /// <summary>Serializes writers (transaction-scoped), so ids commit in order.</summary>
    private const long WriteLock = 0x6661_6173_6c6f_6773; // "faaslogs"

    /// <summary>
    /// Inserts the lines of several executions in one transaction, in order, and announces each tenant that got lines.
    /// </summary>
    public async Task InsertAsync(IReadOnlyList<ExecutionLog> logs, CancellationToken cancellationToken)
    {
        var count = logs.Sum(l => l.Lines.Count);
        if (count == 0)
        {
            return;
        }

        var tenants = new Guid[count];
        var functions = new string[count];
        var versions = new int[count];
        var executions = new Guid[count];
        var times = new DateTime[count];
        var streams = new short[count];
        var lines = new string[count];
        var i = 0;
        foreach (var log in logs)
        {
            foreach (var line in log.Lines)
            {
                tenants[i] = log.TenantId;
                functions[i] = log.FunctionName;
                versions[i] = log.Version;
                executions[i] = log.ExecutionId;
                times[i] = line.Time.UtcDateTime;
                streams[i] = (short)line.Stream;
                lines[i] = line.Text.Replace('\0', '\uFFFD');
                i++;
            }
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({WriteLock})"));
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO function_logs (tenant_id, function_name, version, execution_id, logged_at, stream, line)
                SELECT t, f, v, e, at, s, l
                FROM unnest($1::uuid[], $2::text[], $3::int[], $4::uuid[], $5::timestamptz[], $6::smallint[], $7::text[])
                     WITH ORDINALITY AS u(t, f, v, e, at, s, l, n)
                ORDER BY n
                """);
            var p = insert.Parameters;
            p.AddWithValue(tenants);
            p.AddWithValue(functions);
            p.AddWithValue(versions);
            p.AddWithValue(executions);
            p.AddWithValue(times);
            p.AddWithValue(streams);
            p.AddWithValue(lines);
            batch.BatchCommands.Add(insert);
            var notify = new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', t::text) FROM unnest($1::uuid[]) AS t");
            notify.Parameters.AddWithValue(logs.Select(l => l.TenantId).Distinct().ToArray());
            batch.BatchCommands.Add(notify);
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lines of a function after <paramref name="afterId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<StoredLogLine>> ReadAsync(LogQuery query, long afterId, int limit, CancellationToken cancellationToken)
    {
        await using var command = Command(query, "id > $5", "ORDER BY id LIMIT $6");
        command.Parameters.AddWithValue(afterId);
        command.Parameters.AddWithValue(limit);
        return await ReadAllAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Where reading starts for the last <paramref name="tail"/> lines: the id just before the oldest of them (0 when there
    /// are fewer).
    /// </summary>
    public async Task<long> TailStartAsync(LogQuery query, int tail, CancellationToken cancellationToken)
    {
        await using var command = Command(query, "true", "ORDER BY id DESC OFFSET $5 LIMIT 1", select: "id");
        command.Parameters.AddWithValue(tail);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id ? id : 0;
    }

    /// <summary>Deletes lines older than <paramref name="cutoff"/>, then each tenant's oldest past <paramref name="maxLinesPerTenant"/>.</summary>
    /// <returns>Lines deleted.</returns>
    public async Task<long> SweepAsync(DateTimeOffset cutoff, int maxLinesPerTenant, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        long deleted = 0;
        await using (var old = new NpgsqlCommand("DELETE FROM function_logs WHERE logged_at < $1", connection))
        {
            old.Parameters.AddWithValue(cutoff.UtcDateTime);
            deleted += await old.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var over = new List<Guid>();
        await using (var find = new NpgsqlCommand("SELECT tenant_id FROM function_logs GROUP BY tenant_id HAVING count(*) > $1", connection))
        {
            find.Parameters.AddWithValue((long)maxLinesPerTenant);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                over.Add(reader.GetGuid(0));
            }
        }

        foreach (var tenant in over)
        {
            await using var trim = new NpgsqlCommand(
                """
                DELETE FROM function_logs WHERE tenant_id = $1 AND id <= (
                    SELECT id FROM function_logs WHERE tenant_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)
                """, connection);
            trim.Parameters.AddWithValue(tenant);
            trim.Parameters.AddWithValue(maxLinesPerTenant);
            deleted += await trim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Lines a tenant keeps (all functions).</summary>
    public async Task<long> CountAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM function_logs WHERE tenant_id = $1");
        command.Parameters.AddWithValue(tenantId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private NpgsqlCommand Command(LogQuery query, string where, string tail, string select = "id, execution_id, function_name, version, logged_at, stream, line")
    {
        var command = dataSource.CreateCommand(
            $"""
            SELECT {select} FROM function_logs
            WHERE tenant_id = $1 AND function_name = $2 AND ($3::uuid IS NULL OR execution_id = $3) AND ($4::timestamptz IS NULL OR logged_at >= $4) AND {where}
            {tail}
            """);
        var p = command.Parameters;
        p.AddWithValue(query.TenantId);
        p.AddWithValue(query.FunctionName);
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid, Value = query.ExecutionId is { } e ? e : DBNull.Value });
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = query.Since is { } s ? s.UtcDateTime : DBNull.Value });
        return command;
    }

    private static async Task<IReadOnlyList<StoredLogLine>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var lines = new List<StoredLogLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lines.Add(new StoredLogLine(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4), (LogStream)reader.GetInt16(5), reader.GetString(6)));
        }

        return lines;
    }
}

/// <summary>Which lines of a tenant's function to read.</summary>
public sealed record LogQuery(Guid TenantId, string FunctionName, Guid? ExecutionId = null, DateTimeOffset? Since = null);
