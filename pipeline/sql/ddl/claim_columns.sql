-- reads: nothing (a table of the store)
-- The columns of claim_log, and never a row: the claim rows themselves are in the immutable
-- Parquet segments of DB.segments/ (claim_segments), and claim_log is the view over them
-- (pipeline/store/segments.py). With no segment yet, claim_log is this empty table.
CREATE TABLE IF NOT EXISTS claim_columns (
    file_id          INTEGER,
    line             BIGINT,
    claim_id         VARCHAR,
    person_id        VARCHAR,
    settle_date      DATE,
    visit_type       VARCHAR,
    total_cost       DECIMAL(14,2),
    basic_paid       DECIMAL(14,2),
    critical_paid    DECIMAL(14,2),
    assistance_paid  DECIMAL(14,2),
    other_paid       DECIMAL(14,2),
    in_scope_cost    DECIMAL(14,2),
    diagnosis        VARCHAR,
    hospital         VARCHAR,
    reverses         VARCHAR,
    extra            JSON
);
