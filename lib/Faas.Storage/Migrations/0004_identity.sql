-- Identity and tenancy: users log in with a password (bcrypt) and get a signed token; machines use API
-- keys (a random secret shown once, stored as its SHA-256). Every user belongs to one tenant.
ALTER TABLE tenants ADD COLUMN max_functions integer;
ALTER TABLE tenants ADD COLUMN max_concurrent_executions integer;
ALTER TABLE tenants ADD COLUMN invocations_per_second integer;
ALTER TABLE tenants ADD COLUMN invocation_burst integer;

CREATE TABLE users (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    email           text NOT NULL,
    password_hash   text,
    role            text NOT NULL CHECK (role IN ('admin', 'developer')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_by_email ON users (lower(email));
CREATE INDEX users_by_tenant ON users (tenant_id);

CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text NOT NULL,
    secret_sha256   bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    last_used_at    timestamptz
);
CREATE INDEX api_keys_by_user ON api_keys (user_id);
