-- reads: nothing (a table of the store)
-- Every claim row ever loaded, append-only: an import never deletes from it (a DELETE inside
-- the import's transaction made every later scan of the table in that transaction twice as
-- slow). A correction's older row is listed in claim_rows_superseded instead.
CREATE TABLE IF NOT EXISTS claim_log (
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
