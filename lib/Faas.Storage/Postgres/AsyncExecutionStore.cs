using Faas.Storage.Executions;
using Faas.Storage.Model;
using Npgsql;
using NpgsqlTypes;

namespace Faas.Storage.Postgres;

/// <summary>
/// Writes of asynchronous executions and their dead letters. Every write is idempotent: replaying a
/// transition (a retried batch, a redelivered message) changes nothing twice, a transition never moves a
/// finished execution, and one attempt number always maps to one attempt entry.
/// </summary>
public sealed class AsyncExecutionStore(NpgsqlDataSource dataSource)
{
    private const string Terminal = "('Succeeded', 'Failed', 'TimedOut', 'DeadLettered', 'Rejected', 'Cancelled')";

    // Whether a transition may change the record: not once it is finished, not to an older attempt, and
    // not back to Running for an attempt that already finished.
    private const string Applies =
        $"(executions.status NOT IN {Terminal} AND executions.attempts <= EXCLUDED.attempts " +
        "AND NOT (EXCLUDED.status = 'Running' AND coalesce((executions.attempt_log -> EXCLUDED.attempts::text) ? 'finishedAt', false)))";

    private static readonly string UpsertSql =
        $"""
        INSERT INTO executions (id, tenant_id, function_id, function_name, version, status, created_at, finished_at, queue_us, run_us,
                                input_bytes, output_bytes, exit_code, error, stderr_tail, worker, trace_id, kind, attempts, attempt_log,
                                max_retries, idempotency_key, next_attempt_at, output, callback_url, callback_state)
        SELECT u.id, u.tenant_id, u.function_id, u.function_name, u.version, u.status, u.created_at, u.finished_at, u.queue_us, u.run_us,
               u.input_bytes, u.output_bytes, u.exit_code, u.error, u.stderr_tail, u.worker, u.trace_id, 'async', u.attempts, u.attempt_log,
               u.max_retries, u.idempotency_key, u.next_attempt_at, u.output, u.callback_url,
               CASE WHEN u.callback_url IS NULL THEN NULL ELSE 'Pending' END
        FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                    $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::int[], $14::text[], $15::text[], $16::text[],
                    $17::text[], $18::int[], $19::jsonb[], $20::int[], $21::text[], $22::timestamptz[], $23::bytea[], $24::text[])
             AS u(id, tenant_id, function_id, function_name, version, status, created_at, finished_at, queue_us, run_us,
                  input_bytes, output_bytes, exit_code, error, stderr_tail, worker, trace_id, attempts, attempt_log,
                  max_retries, idempotency_key, next_attempt_at, output, callback_url)
        ON CONFLICT (id) DO UPDATE SET
            attempt_log = faas_merge_attempts(executions.attempt_log, EXCLUDED.attempt_log),
            attempts = GREATEST(executions.attempts, EXCLUDED.attempts),
            status = CASE WHEN {Applies} THEN EXCLUDED.status ELSE executions.status END,
            version = CASE WHEN {Applies} THEN EXCLUDED.version ELSE executions.version END,
            finished_at = CASE WHEN {Applies} THEN EXCLUDED.finished_at ELSE executions.finished_at END,
            next_attempt_at = CASE WHEN {Applies} THEN EXCLUDED.next_attempt_at ELSE executions.next_attempt_at END,
            queue_us = CASE WHEN {Applies} AND EXCLUDED.status <> 'Queued' THEN EXCLUDED.queue_us ELSE executions.queue_us END,
            run_us = CASE WHEN {Applies} AND EXCLUDED.status <> 'Running' THEN EXCLUDED.run_us ELSE executions.run_us END,
            output_bytes = CASE WHEN {Applies} THEN EXCLUDED.output_bytes ELSE executions.output_bytes END,
            output = CASE WHEN {Applies} THEN EXCLUDED.output ELSE executions.output END,
            exit_code = CASE WHEN {Applies} AND EXCLUDED.status <> 'Running' THEN EXCLUDED.exit_code ELSE executions.exit_code END,
            error = CASE WHEN {Applies} AND EXCLUDED.status <> 'Running' THEN EXCLUDED.error ELSE executions.error END,
            stderr_tail = CASE WHEN {Applies} AND EXCLUDED.status <> 'Running' THEN EXCLUDED.stderr_tail ELSE executions.stderr_tail END,
            worker = CASE WHEN {Applies} AND EXCLUDED.worker <> '' THEN EXCLUDED.worker ELSE executions.worker END
        """;

    private const string DeadLetterSql =
        """
        INSERT INTO dead_letters (execution_id, tenant_id, function_id, message)
        SELECT u.id, u.tenant_id, u.function_id, u.message
        FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bytea[]) AS u(id, tenant_id, function_id, message)
        WHERE EXISTS (SELECT 1 FROM executions e WHERE e.id = u.id AND e.status = 'DeadLettered')
        ON CONFLICT (execution_id) DO UPDATE SET message = EXCLUDED.message, dead_at = now(), redriven_at = NULL
        """;

    /// <summary>
    /// Applies transitions in order, in one transaction. The same execution may appear more than once; its
    /// transitions go to successive statements so each sees the one before.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<AsyncTransition> transitions, CancellationToken cancellationToken)
    {
        if (transitions.Count == 0)
        {
            return;
        }

        var rounds = new List<List<AsyncTransition>>();
        var seen = new Dictionary<Guid, int>(transitions.Count);
        foreach (var t in transitions)
        {
            var round = seen.TryGetValue(t.Id, out var n) ? n + 1 : 0;
            seen[t.Id] = round;
            if (round == rounds.Count)
            {
                rounds.Add([]);
            }

            rounds[round].Add(t);
        }

        // One lock order for every batch, so concurrent batches touching the same executions cannot deadlock.
        foreach (var round in rounds)
        {
            round.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            foreach (var round in rounds)
            {
                batch.BatchCommands.Add(Upsert(round));
                var dead = round.Where(t => t.DeadLetterMessage is not null).ToArray();
                if (dead.Length > 0)
                {
                    var command = new NpgsqlBatchCommand(DeadLetterSql);
                    command.Parameters.Add(new NpgsqlParameter { Value = dead.Select(t => t.Id).ToArray() });
                    command.Parameters.Add(new NpgsqlParameter { Value = dead.Select(t => t.TenantId).ToArray() });
                    command.Parameters.Add(new NpgsqlParameter { Value = dead.Select(t => t.FunctionId).ToArray() });
                    command.Parameters.Add(new NpgsqlParameter { Value = dead.Select(t => t.DeadLetterMessage!).ToArray() });
                    batch.BatchCommands.Add(command);
                }
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Upsert(List<AsyncTransition> rows)
    {
        var command = new NpgsqlBatchCommand(UpsertSql);
        var p = command.Parameters;
        Add(p, rows.Select(t => t.Id).ToArray());
        Add(p, rows.Select(t => t.TenantId).ToArray());
        Add(p, rows.Select(t => t.FunctionId).ToArray());
        Add(p, rows.Select(t => t.FunctionName).ToArray());
        Add(p, rows.Select(t => t.Version).ToArray());
        Add(p, rows.Select(t => t.Status.ToString()).ToArray());
        Add(p, rows.Select(t => t.CreatedAt.UtcDateTime).ToArray());
        Add(p, rows.Select(t => t.FinishedAt?.UtcDateTime).ToArray());
        Add(p, rows.Select(t => t.QueueMicros).ToArray());
        Add(p, rows.Select(t => t.RunMicros).ToArray());
        Add(p, rows.Select(t => t.InputBytes).ToArray());
        Add(p, rows.Select(t => t.OutputBytes).ToArray());
        Add(p, rows.Select(t => t.ExitCode).ToArray());
        Add(p, rows.Select(t => ExecutionStore.Text(t.Error)).ToArray());
        Add(p, rows.Select(t => ExecutionStore.Text(t.StderrTail)).ToArray());
        Add(p, rows.Select(t => t.Worker).ToArray());
        Add(p, rows.Select(t => t.TraceId).ToArray());
        Add(p, rows.Select(t => t.Attempts).ToArray());
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = rows.Select(t => AttemptLog.Patch(t.Attempt)).ToArray() });
        Add(p, rows.Select(t => t.MaxRetries).ToArray());
        Add(p, rows.Select(t => t.IdempotencyKey).ToArray());
        Add(p, rows.Select(t => t.NextAttemptAt?.UtcDateTime).ToArray());
        p.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = rows.Select(t => t.Output).ToArray() });
        Add(p, rows.Select(t => t.CallbackUrl).ToArray());
        return command;
    }

    private static void Add<T>(NpgsqlParameterCollection parameters, T[] values) => parameters.Add(new NpgsqlParameter { Value = values });

    /// <summary>Dead-lettered executions of a function, newest first.</summary>
    public async Task<Page<Execution>> ListDeadLettersAsync(Guid tenantId, Guid functionId, int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        Guid? before = PageToken.Decode(pageToken) is { } token
            ? Guid.TryParse(token, out var id) ? id : throw new InvalidPageTokenException()
            : null;
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {ExecutionStore.ReadColumns} FROM executions
            WHERE status = 'DeadLettered' AND ($3::uuid IS NULL OR id < $3)
              AND id IN (SELECT execution_id FROM dead_letters WHERE tenant_id = $1 AND function_id = $2)
            ORDER BY id DESC LIMIT $4
            """);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(functionId);
        command.Parameters.AddWithValue(NpgsqlDbType.Uuid, (object?)before ?? DBNull.Value);
        command.Parameters.AddWithValue(pageSize + 1);
        var items = new List<Execution>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(ExecutionStore.Read(reader));
        }

        return Page<Execution>.Of(items, pageSize, e => e.Id.ToString());
    }

    public async Task<long> CountDeadLettersAsync(Guid tenantId, Guid functionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM dead_letters d JOIN executions e ON e.id = d.execution_id WHERE d.tenant_id = $1 AND d.function_id = $2 AND e.status = 'DeadLettered'");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(functionId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Dead letters per function name across tenants, for metrics.</summary>
    public async Task<IReadOnlyList<(Guid TenantId, string Function, long Count)>> CountDeadLettersByFunctionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT d.tenant_id, f.name, count(*) FROM dead_letters d JOIN functions f ON f.id = d.function_id
            GROUP BY d.tenant_id, f.name
            """);
        var counts = new List<(Guid, string, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            counts.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return counts;
    }

    /// <summary>The tenant and name of each function found among <paramref name="ids"/>.</summary>
    public async Task<IReadOnlyDictionary<Guid, (Guid TenantId, string Name)>> GetFunctionNamesAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, tenant_id, name FROM functions WHERE id = ANY($1)");
        command.Parameters.AddWithValue(ids);
        var names = new Dictionary<Guid, (Guid, string)>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names[reader.GetGuid(0)] = (reader.GetGuid(1), reader.GetString(2));
        }

        return names;
    }

    /// <summary>
    /// Starts a redrive: marks the dead letters (the given ids, or all of the function's when null) and
    /// moves their executions back to Queued with a fresh retry budget, in one transaction. Returns each
    /// marked letter with the attempts made so far, for the caller to enqueue and then <see cref="CompleteRedriveAsync"/>.
    /// A letter marked by a redrive that stopped half-way is returned again.
    /// </summary>
    public async Task<IReadOnlyList<DeadLetter>> BeginRedriveAsync(Guid tenantId, Guid functionId, IReadOnlyCollection<Guid>? ids, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var letters = new List<DeadLetter>();
        await using (var command = new NpgsqlCommand(
            """
            UPDATE dead_letters d SET redriven_at = now()
            FROM executions e
            WHERE d.execution_id = e.id AND e.status IN ('DeadLettered', 'Queued') AND d.tenant_id = $1 AND d.function_id = $2 AND ($3::uuid[] IS NULL OR d.execution_id = ANY($3))
              AND d.execution_id IN (SELECT execution_id FROM dead_letters WHERE tenant_id = $1 AND function_id = $2
                                     ORDER BY execution_id LIMIT $4 FOR UPDATE SKIP LOCKED)
            RETURNING d.execution_id, d.message, e.attempts
            """, connection, transaction))
        {
            command.Parameters.AddWithValue(tenantId);
            command.Parameters.AddWithValue(functionId);
            command.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Uuid, (object?)ids?.ToArray() ?? DBNull.Value);
            command.Parameters.AddWithValue(limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                letters.Add(new DeadLetter(reader.GetGuid(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2)));
            }
        }

        await using (var command = new NpgsqlCommand(
            """
            UPDATE executions SET status = 'Queued', redrives = redrives + 1, finished_at = NULL, next_attempt_at = NULL,
                callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'Pending' END,
                callback_attempts = 0, callback_error = '', callback_status_code = 0, callback_at = NULL
            WHERE id = ANY($1) AND status = 'DeadLettered'
            """, connection, transaction))
        {
            command.Parameters.AddWithValue(letters.Select(l => l.ExecutionId).ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return letters;
    }

    /// <summary>Ends a redrive once the executions are back in the queue.</summary>
    public async Task CompleteRedriveAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM dead_letters WHERE execution_id = ANY($1) AND redriven_at IS NOT NULL");
        command.Parameters.AddWithValue(ids.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

}

/// <summary>A dead-lettered execution's queue message and the attempts it had made.</summary>
public sealed record DeadLetter(Guid ExecutionId, byte[] Message, int Attempts);
