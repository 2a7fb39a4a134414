-- reads: nothing (a table of the store)
-- Every departmental answer read (oopwatch feedback): a pushed workbook filled in, or the
-- department's own extract. A file already read (same sha256) is never read again.
CREATE TABLE IF NOT EXISTS feedback_files (
    feedback_id     INTEGER,
    file            VARCHAR,
    sha256          VARCHAR,
    read_at         TIMESTAMP,
    os_user         VARCHAR,
    push_id         VARCHAR,   -- from a pushed workbook's hidden sheet; NULL otherwise
    department      VARCHAR,   -- the file's department (hidden sheet or --department), if known
    format          VARCHAR,
    rows_read       BIGINT,    -- rows with an answer: loaded + rejected
    rows_loaded     BIGINT,
    rows_rejected   BIGINT,
    rows_unfilled   BIGINT,    -- pushed rows with no answer yet (not decisions)
    rows_unchanged  BIGINT     -- loaded rows already recorded with the same values
);
