-- Sink credentials: what execution capacity ("sinks") logs in to the sink manager with. The secret is shown once
-- and stored as a bcrypt hash; a revoked credential stays for the record.
CREATE TABLE sink_credentials (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    secret_hash     text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE UNIQUE INDEX sink_credentials_by_name ON sink_credentials (name) WHERE revoked_at IS NULL;
