-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS import_files (
    file_id        INTEGER,
    import_id      INTEGER,
    file           VARCHAR,
    sha256         VARCHAR,
    kind           VARCHAR,
    format         VARCHAR,
    encoding       VARCHAR,
    headers        VARCHAR[],
    extra_columns  VARCHAR[],
    rows_read      BIGINT,
    rows_loaded    BIGINT,
    rows_rejected  BIGINT,
    imported_at    TIMESTAMP
);
