-- The store: tables the importer appends to. Views of the contract are in views.sql.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);

CREATE TABLE IF NOT EXISTS import_batches (
    import_id    INTEGER,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    os_user      VARCHAR,
    command      VARCHAR
);

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

CREATE TABLE IF NOT EXISTS roster_rows (
    file_id           INTEGER,
    line              BIGINT,
    person_id         VARCHAR,
    name              VARCHAR,
    household_id      VARCHAR,
    relation          VARCHAR,
    village_code      VARCHAR,
    village_name      VARCHAR,
    category          VARCHAR,
    household_income  DECIMAL(14,2),
    risk_cause        VARCHAR,
    extra             JSON
);

CREATE TABLE IF NOT EXISTS enrolment_rows (
    file_id       INTEGER,
    line          BIGINT,
    person_id     VARCHAR,
    year          INTEGER,
    scheme        VARCHAR,
    status        VARCHAR,
    subsidy       DECIMAL(14,2),
    name          VARCHAR,
    household_id  VARCHAR,
    village_code  VARCHAR,
    extra         JSON
);

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

-- Where each person-year's rows are in claim_log (their rowids; claim_log only grows, so a
-- rowid never moves). Each import appends its own rows' entries sorted by person_id, so a
-- person's lookup reads a few blocks, and the person page fetches those rows by rowid instead
-- of scanning every claim (40 ms at 10M claims -> a few ms). Built by store.index_claim_rows.
CREATE TABLE IF NOT EXISTS claim_person_rows (
    person_id  VARCHAR,
    year       INTEGER,
    log_rows   BIGINT[]
);

-- Rows a later row of the same claim_id replaced (a copy, with the file that replaced it).
CREATE TABLE IF NOT EXISTS claim_rows_superseded AS
SELECT *, CAST(NULL AS INTEGER) AS superseded_by_file_id FROM claim_log LIMIT 0;

-- The current version of every claim_id (corrections replace). Reversal rows are here too, with
-- `reverses` set; claims_effective leaves them and the claims they cancel out.
CREATE OR REPLACE VIEW claim_rows AS
SELECT l.*
FROM claim_log AS l
ANTI JOIN claim_rows_superseded AS s ON s.file_id = l.file_id AND s.line = l.line;

CREATE TABLE IF NOT EXISTS divisions (
    code         VARCHAR,
    level        INTEGER,
    name         VARCHAR,
    parent_code  VARCHAR
);

CREATE TABLE IF NOT EXISTS codes (
    domain    VARCHAR,
    code      VARCHAR,
    label_zh  VARCHAR,
    label_en  VARCHAR,
    ord       INTEGER
);

-- Rule evaluations: one run after every import (and on `oopwatch flag`), with the rules files'
-- fingerprint and text, so any week's list can be reproduced and explained later.
CREATE TABLE IF NOT EXISTS rule_runs (
    run_id        INTEGER,
    import_id     INTEGER,
    evaluated_at  TIMESTAMP,
    as_of         DATE,       -- the data's date: the latest settlement date of any claim
    fingerprint   VARCHAR,
    rules_text    JSON
);

-- The rules that fired and the watch-list, as entries that hold from the run that opened them
-- (from_run) until the run that changed or ended them (to_run; NULL while they hold). A run
-- writes only what changed since the previous one (rules/evaluate.sql): a copy of the whole
-- list per run had grown the store by 30 MB a week at 1M people and cost a weekly import
-- about 4 s. The views flags, watch_runs and watchlist (watch.sql) give every run's rows.
CREATE TABLE IF NOT EXISTS flag_entries (
    person_id    VARCHAR,
    year         INTEGER,
    rule_id      VARCHAR,
    from_run     INTEGER,
    to_run       INTEGER,
    oop          DECIMAL(14,2),
    threshold    DECIMAL(14,2),
    severity     VARCHAR,
    note_zh      VARCHAR,
    note_en      VARCHAR,
    explain_zh   VARCHAR,
    explain_en   VARCHAR
);

-- One entry per flagged person-year and stretch of unchanged content. since_run is the run
-- from which the person-year has been on the list without a break: it gives status (new in
-- that run, continuing after), weeks on the list and first_flagged.
CREATE TABLE IF NOT EXISTS watch_entries (
    person_id      VARCHAR,
    year           INTEGER,
    from_run       INTEGER,
    to_run         INTEGER,
    since_run      INTEGER,
    rules          VARCHAR,
    oop            DECIMAL(14,2),
    threshold      DECIMAL(14,2),
    severity       VARCHAR,
    first_flagged  TIMESTAMP,
    explain_zh     VARCHAR,
    explain_en     VARCHAR,
    -- who the person was when the entry was made (so a week's list reads without a join)
    name           VARCHAR,
    household_id   VARCHAR,
    village_code   VARCHAR,
    category       VARCHAR
);

-- Week-over-week movement: who entered the list and who left it, and why.
CREATE TABLE IF NOT EXISTS watch_changes (
    run_id      INTEGER,
    person_id   VARCHAR,
    year        INTEGER,
    change      VARCHAR,   -- entered | left
    reason      VARCHAR,   -- for left: reversal, assistance_paid_later, oop_decreased,
                           -- rule_change, data_change, no_longer_known
    rules_before VARCHAR,
    oop_before  DECIMAL(14,2),
    oop_now     DECIMAL(14,2)
);

-- A person's page reads their rows of these run-by-run tables (hundreds of thousands of rows
-- after a few weeks) by person_id: an index finds them in a millisecond instead of a scan.
CREATE INDEX IF NOT EXISTS watch_entries_person ON watch_entries (person_id);
CREATE INDEX IF NOT EXISTS flag_entries_person ON flag_entries (person_id);
CREATE INDEX IF NOT EXISTS watch_changes_person ON watch_changes (person_id);
CREATE INDEX IF NOT EXISTS claim_person_rows_person ON claim_person_rows (person_id);
