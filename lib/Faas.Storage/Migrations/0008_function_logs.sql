-- Functions' logs: each line an execution wrote to stderr (and an asynchronous run's stdout), kept for the retention.
-- Writers insert under one transaction-scoped advisory lock, so ids become visible in order and a follower reading
-- "id > the last one I saw" misses nothing.
CREATE TABLE function_logs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid        NOT NULL,
    function_name text        NOT NULL,
    version       integer     NOT NULL,
    execution_id  uuid        NOT NULL,
    logged_at     timestamptz NOT NULL,
    stream        smallint    NOT NULL,
    line          text        NOT NULL
);

CREATE INDEX function_logs_by_function ON function_logs (tenant_id, function_name, id);
CREATE INDEX function_logs_by_execution ON function_logs (execution_id, id);
CREATE INDEX function_logs_by_time ON function_logs (logged_at);
