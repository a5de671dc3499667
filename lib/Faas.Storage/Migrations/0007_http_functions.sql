-- HTTP functions: an execution called over HTTP records the request's method and path and the status answered.
ALTER TABLE executions
    ADD COLUMN http_method text,
    ADD COLUMN http_path   text,
    ADD COLUMN http_status integer;
