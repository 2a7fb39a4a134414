-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS rejects (
    import_id  INTEGER,
    file_id    INTEGER,
    file       VARCHAR,
    kind       VARCHAR,
    line       BIGINT,
    reason     VARCHAR,
    detail     VARCHAR,
    person_id  VARCHAR,
    raw        VARCHAR
);
