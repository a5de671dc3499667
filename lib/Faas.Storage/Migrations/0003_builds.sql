-- Builds of versions deployed from source. Such a version is BUILDING until its build ends, then READY
-- (with the module) or BUILD_FAILED; the build row keeps the input, the progress and the outcome.
CREATE TABLE builds (
    function_id     uuid NOT NULL,
    version         integer NOT NULL,
    language        text NOT NULL,
    -- sha256 of the build's input (language, entry file, options, every file): identical input, identical module.
    source_sha256   text NOT NULL,
    -- file name -> source text
    sources         jsonb NOT NULL,
    entry_file      text,
    state           text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    cache_hit       boolean NOT NULL DEFAULT false,
    error           text NOT NULL DEFAULT '',
    -- [{file, line, column, severity, message}]
    diagnostics     jsonb NOT NULL DEFAULT '[]',
    log             text NOT NULL DEFAULT '',
    toolchain       text NOT NULL DEFAULT '',
    queued_at       timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    PRIMARY KEY (function_id, version),
    FOREIGN KEY (function_id, version) REFERENCES function_versions (function_id, version) ON DELETE CASCADE
);
-- The compiler's sweep for builds whose queue message was lost.
CREATE INDEX builds_unfinished ON builds (queued_at) WHERE state IN ('Queued', 'Running');

-- The module each build input produced: a deploy of sources built before reuses it without building.
CREATE TABLE build_outputs (
    source_sha256   text PRIMARY KEY,
    module_sha256   text NOT NULL REFERENCES artifacts (sha256),
    toolchain       text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Modules precompiled for the runtime workers' engine, by the engine's fingerprint (Wasmtime version and
-- code-generation settings): a worker with the same fingerprint loads one in microseconds.
CREATE TABLE precompiled_artifacts (
    module_sha256       text NOT NULL REFERENCES artifacts (sha256) ON DELETE CASCADE,
    engine_fingerprint  text NOT NULL,
    -- sha256 of the precompiled bytes, checked when they are read
    sha256              text NOT NULL,
    precompiled         bytea NOT NULL,
    size_bytes          integer NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (module_sha256, engine_fingerprint)
);
