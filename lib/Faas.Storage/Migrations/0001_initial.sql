-- Tenants own everything. One default tenant exists until authentication arrives.
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'default');

-- WebAssembly modules, content-addressed.
CREATE TABLE artifacts (
    sha256      text PRIMARY KEY,
    wasm        bytea NOT NULL,
    size_bytes  integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE functions (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    name            text NOT NULL,
    latest_version  integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

-- Immutable versions: a deploy adds a row, nothing updates one except its build state.
CREATE TABLE function_versions (
    function_id     uuid NOT NULL REFERENCES functions (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    language        text NOT NULL,
    state           text NOT NULL,
    module_sha256   text REFERENCES artifacts (sha256),
    source          text,
    config          jsonb NOT NULL,
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (function_id, version)
);

-- Every execution, sync and async. No foreign key to functions: history outlives a deleted function.
CREATE TABLE executions (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    function_id     uuid NOT NULL,
    function_name   text NOT NULL,
    version         integer NOT NULL,
    status          text NOT NULL,
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    queue_us        bigint NOT NULL DEFAULT 0,
    run_us          bigint NOT NULL DEFAULT 0,
    input_bytes     bigint NOT NULL DEFAULT 0,
    output_bytes    bigint NOT NULL DEFAULT 0,
    exit_code       integer NOT NULL DEFAULT 0,
    error           text NOT NULL DEFAULT '',
    stderr_tail     text NOT NULL DEFAULT '',
    worker          text NOT NULL DEFAULT '',
    trace_id        text NOT NULL DEFAULT ''
);
CREATE INDEX executions_by_tenant ON executions (tenant_id, id DESC);
CREATE INDEX executions_by_function ON executions (tenant_id, function_id, id DESC);
