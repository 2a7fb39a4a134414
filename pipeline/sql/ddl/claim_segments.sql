-- reads: nothing (a table of the store)
-- The Parquet files holding the claim rows, one per import that loaded claims (written once,
-- sorted by person_id, never rewritten; segment 0 holds the rows of a store made before
-- segments). A file is in force once its row here is committed: a killed import's file is not
-- listed and is removed when the store is next opened.
CREATE TABLE IF NOT EXISTS claim_segments (
    import_id   INTEGER,
    path        VARCHAR,
    rows        BIGINT,
    bytes       BIGINT,
    first_file  INTEGER,
    last_file   INTEGER,
    written_at  TIMESTAMP
);
