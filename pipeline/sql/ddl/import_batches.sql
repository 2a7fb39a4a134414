-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS import_batches (
    import_id    INTEGER,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    os_user      VARCHAR,
    command      VARCHAR
);
