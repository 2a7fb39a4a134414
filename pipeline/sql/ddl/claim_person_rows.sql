-- reads: nothing (a table of the store)
-- Where each person-year's rows are in claim_log (their rowids; claim_log only grows, so a
-- rowid never moves). Each import appends its own rows' entries sorted by person_id, so a
-- person's lookup reads a few blocks, and the person page fetches those rows by rowid instead
-- of scanning every claim (40 ms at 10M claims -> a few ms). Built by store.index_claim_rows.
CREATE TABLE IF NOT EXISTS claim_person_rows (
    person_id  VARCHAR,
    year       INTEGER,
    log_rows   BIGINT[]
);
CREATE INDEX IF NOT EXISTS claim_person_rows_person ON claim_person_rows (person_id);
