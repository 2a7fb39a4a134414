-- reads: nothing (a table of the store)
-- Every workbook or CSV read back; a file already returned (same sha256) is never read again.
CREATE TABLE IF NOT EXISTS return_files (
    return_id       INTEGER,
    file            VARCHAR,
    sha256          VARCHAR,
    returned_at     TIMESTAMP,
    os_user         VARCHAR,
    export_id       VARCHAR,   -- from the workbook's hidden sheet; NULL for a CSV
    format          VARCHAR,
    rows_read       BIGINT,    -- rows with anything filled in: loaded + rejected
    rows_loaded     BIGINT,
    rows_rejected   BIGINT,
    rows_unfilled   BIGINT,    -- rows whose follow-up cells are all blank (not returns)
    rows_unchanged  BIGINT     -- loaded rows already recorded with the same values
);
