using Faas.Storage.Model;
using Npgsql;

namespace Faas.Storage.Postgres;

/// <summary>Execution records in PostgreSQL. Writes come in batches from <see cref="Executions.ExecutionRecorder"/>.</summary>
public sealed class ExecutionStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, tenant_id, function_id, function_name, version, status, created_at, finished_at, queue_us, run_us, input_bytes, output_bytes, exit_code, error, stderr_tail, worker, trace_id, http_method, http_path, http_status";

    /// <summary>The columns <see cref="Read"/> expects, for other stores selecting executions too.</summary>
    internal const string ReadColumns = Columns +
        ", kind, attempts, attempt_log::text, max_retries, idempotency_key, next_attempt_at, redrives, callback_url, callback_state, callback_attempts, callback_error, callback_status_code, callback_at, output IS NOT NULL";

    /// <summary>
    /// Writes a batch as one statement (arrays unnested server-side: far cheaper for PostgreSQL than a
    /// statement per record). A record already stored is updated unless it is already terminal, so a
    /// replayed write never resurrects a finished execution; within a batch the same rule applies in order.
    /// </summary>
    public async Task UpsertAsync(IReadOnlyList<Execution> executions, CancellationToken cancellationToken)
    {
        if (executions.Count == 0)
        {
            return;
        }

        var latest = new Dictionary<Guid, Execution>(executions.Count);
        foreach (var e in executions)
        {
            if (!latest.TryGetValue(e.Id, out var earlier) || !Execution.IsTerminal(earlier.Status))
            {
                latest[e.Id] = e;
            }
        }

        var rows = latest.Values;
        await using var command = dataSource.CreateCommand(
            $"""
            INSERT INTO executions ({Columns})
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::timestamptz[],
                                 $8::timestamptz[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::int[],
                                 $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::int[])
            ON CONFLICT (id) DO UPDATE SET
                status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, queue_us = EXCLUDED.queue_us,
                run_us = EXCLUDED.run_us, output_bytes = EXCLUDED.output_bytes, exit_code = EXCLUDED.exit_code,
                error = EXCLUDED.error, stderr_tail = EXCLUDED.stderr_tail, worker = EXCLUDED.worker,
                http_status = EXCLUDED.http_status
            WHERE executions.status NOT IN ('Succeeded', 'Failed', 'TimedOut', 'DeadLettered', 'Rejected', 'Cancelled')
            """);
        var p = command.Parameters;
        p.AddWithValue(rows.Select(e => e.Id).ToArray());
        p.AddWithValue(rows.Select(e => e.TenantId).ToArray());
        p.AddWithValue(rows.Select(e => e.FunctionId).ToArray());
        p.AddWithValue(rows.Select(e => e.FunctionName).ToArray());
        p.AddWithValue(rows.Select(e => e.Version).ToArray());
        p.AddWithValue(rows.Select(e => e.Status.ToString()).ToArray());
        p.AddWithValue(rows.Select(e => e.CreatedAt.UtcDateTime).ToArray());
        p.AddWithValue(rows.Select(e => e.FinishedAt?.UtcDateTime).ToArray());
        p.AddWithValue(rows.Select(e => e.QueueMicros).ToArray());
        p.AddWithValue(rows.Select(e => e.RunMicros).ToArray());
        p.AddWithValue(rows.Select(e => e.InputBytes).ToArray());
        p.AddWithValue(rows.Select(e => e.OutputBytes).ToArray());
        p.AddWithValue(rows.Select(e => e.ExitCode).ToArray());
        p.AddWithValue(rows.Select(e => Text(e.Error)).ToArray());
        p.AddWithValue(rows.Select(e => Text(e.StderrTail)).ToArray());
        p.AddWithValue(rows.Select(e => e.Worker).ToArray());
        p.AddWithValue(rows.Select(e => e.TraceId).ToArray());
        p.AddWithValue(rows.Select(e => e.Http?.Method).ToArray());
        p.AddWithValue(rows.Select(e => e.Http is { } http ? Text(http.Path) : null).ToArray());
        p.AddWithValue(rows.Select(e => e.Http?.StatusCode).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Execution?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {ReadColumns} FROM executions WHERE tenant_id = $1 AND id = $2");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Newest first (ids are UUIDv7, so id order is creation order).</summary>
    public async Task<Page<Execution>> ListAsync(
        Guid tenantId, Guid? functionId, ExecutionStatus? status, int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        Guid? before = PageToken.Decode(pageToken) is { } token
            ? Guid.TryParse(token, out var id) ? id : throw new InvalidPageTokenException()
            : null;
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {ReadColumns} FROM executions
            WHERE tenant_id = $1 AND ($2::uuid IS NULL OR function_id = $2) AND ($3::text IS NULL OR status = $3)
              AND ($4::uuid IS NULL OR id < $4)
            ORDER BY id DESC LIMIT $5
            """);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Uuid, (object?)functionId ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)status?.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Uuid, (object?)before ?? DBNull.Value);
        command.Parameters.AddWithValue(pageSize + 1);

        var items = new List<Execution>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(Read(reader));
        }

        return Page<Execution>.Of(items, pageSize, e => e.Id.ToString());
    }

    /// <summary>The stored output of a finished asynchronous execution; null when there is none.</summary>
    public async Task<byte[]?> GetOutputAsync(Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT output FROM executions WHERE tenant_id = $1 AND id = $2 AND output IS NOT NULL");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(id);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
    }

    /// <summary>The current status of each execution found (any tenant): for consumers checking redeliveries.</summary>
    public async Task<IReadOnlyDictionary<Guid, ExecutionStatus>> GetStatusesAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, status FROM executions WHERE id = ANY($1)");
        command.Parameters.AddWithValue(ids.ToArray());
        var statuses = new Dictionary<Guid, ExecutionStatus>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            statuses[reader.GetGuid(0)] = Enum.Parse<ExecutionStatus>(reader.GetString(1));
        }

        return statuses;
    }

    /// <summary>One execution by id in any tenant: for internal services that hold the id from a queue message.</summary>
    public async Task<Execution?> GetByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {ReadColumns} FROM executions WHERE id = $1");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Records a callback delivery attempt. Attempts only grow, and a delivered callback stays delivered.</summary>
    public async Task UpdateCallbackAsync(Guid id, CallbackState state, int attempts, string error, int statusCode, DateTimeOffset? deliveredAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE executions SET callback_state = $2, callback_attempts = $3, callback_error = $4, callback_status_code = $5, callback_at = $6
            WHERE id = $1 AND callback_url IS NOT NULL AND callback_state IS DISTINCT FROM 'Delivered' AND callback_attempts <= $3
            """);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(state.ToString());
        command.Parameters.AddWithValue(attempts);
        command.Parameters.AddWithValue(Text(error));
        command.Parameters.AddWithValue(statusCode);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.TimestampTz, (object?)deliveredAt?.UtcDateTime ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// PostgreSQL text cannot hold U+0000, but what a function writes to stderr can: unreplaced, one such
    /// record would fail its whole batch on every retry.
    /// </summary>
    internal static string Text(string value) => value.Replace('\0', '\uFFFD');

    internal static Execution Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetString(3), r.GetInt32(4),
        Enum.Parse<ExecutionStatus>(r.GetString(5)),
        r.GetFieldValue<DateTimeOffset>(6),
        r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7),
        r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt32(12),
        r.GetString(13), r.GetString(14), r.GetString(15), r.GetString(16))
    {
        Http = r.IsDBNull(17) ? null : new HttpExchange(r.GetString(17), r.IsDBNull(18) ? "" : r.GetString(18), r.IsDBNull(19) ? 0 : r.GetInt32(19)),
        Kind = r.GetString(20) == "async" ? ExecutionKind.Async : ExecutionKind.Sync,
        Attempts = r.GetInt32(21),
        AttemptLog = Executions.AttemptLog.Parse(r.GetString(22)),
        MaxRetries = r.GetInt32(23),
        IdempotencyKey = r.IsDBNull(24) ? null : r.GetString(24),
        NextAttemptAt = r.IsDBNull(25) ? null : r.GetFieldValue<DateTimeOffset>(25),
        Redrives = r.GetInt32(26),
        Callback = r.IsDBNull(27) ? null : new CallbackDelivery(
            r.GetString(27), r.IsDBNull(28) ? CallbackState.Pending : Enum.Parse<CallbackState>(r.GetString(28)),
            r.GetInt32(29), r.GetString(30), r.GetInt32(31), r.IsDBNull(32) ? null : r.GetFieldValue<DateTimeOffset>(32)),
        HasOutput = r.GetBoolean(33),
    };

}
