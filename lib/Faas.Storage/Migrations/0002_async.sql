-- Asynchronous invocations: attempts, retries, idempotency, callbacks, output and dead letters.
ALTER TABLE executions
    ADD COLUMN kind                 text NOT NULL DEFAULT 'sync',
    ADD COLUMN attempts             integer NOT NULL DEFAULT 0,
    -- One entry per attempt, keyed by its number: {"1": {"startedAt": ..., "finishedAt": ..., ...}}.
    -- Keyed so a replayed write of an attempt replaces its own entry instead of adding another.
    ADD COLUMN attempt_log          jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN max_retries          integer NOT NULL DEFAULT 0,
    ADD COLUMN idempotency_key      text,
    ADD COLUMN next_attempt_at      timestamptz,
    ADD COLUMN output               bytea,
    ADD COLUMN redrives             integer NOT NULL DEFAULT 0,
    ADD COLUMN callback_url         text,
    ADD COLUMN callback_state       text,
    ADD COLUMN callback_attempts    integer NOT NULL DEFAULT 0,
    ADD COLUMN callback_error       text NOT NULL DEFAULT '',
    ADD COLUMN callback_status_code integer NOT NULL DEFAULT 0,
    ADD COLUMN callback_at          timestamptz;

-- Asynchronous executions change status two or three times: leave room in each page so those updates
-- stay on their page and, status being in no index, touch no index (heap-only tuple updates).
ALTER TABLE executions SET (fillfactor = 80);

-- The message of every dead-lettered execution, kept until it is re-driven.
CREATE TABLE dead_letters (
    execution_id    uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    function_id     uuid NOT NULL,
    message         bytea NOT NULL,
    dead_at         timestamptz NOT NULL DEFAULT now(),
    -- Set while a redrive is under way; a redrive that stopped half-way is finished by the next one.
    redriven_at     timestamptz
);
CREATE INDEX dead_letters_by_function ON dead_letters (tenant_id, function_id, execution_id DESC);

-- Merges attempt entries key by key, so a late "started" write never erases what "finished" wrote.
CREATE FUNCTION faas_merge_attempts(current_log jsonb, patch jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT current_log || coalesce(jsonb_object_agg(p.key, coalesce(current_log -> p.key, '{}'::jsonb) || p.value), '{}'::jsonb)
    FROM jsonb_each(patch) AS p
$$;
