-- Case follow-up: watch-lists exported for caseworkers (`oopwatch export`) and the visit outcomes
-- they hand back (`oopwatch returns`). Run by every open_store right after schema.sql, so these
-- views read tables of schema.sql and of this file only (never a model, which a new store lacks).

-- Every export the CLI wrote: who, when, which list, which file (its sha256).
CREATE TABLE IF NOT EXISTS exports (
    export_id  VARCHAR,
    made_at    TIMESTAMP,
    os_user    VARCHAR,
    year       INTEGER,
    region     VARCHAR,     -- village-code prefix ('' = nationwide)
    lang       VARCHAR,
    filters    JSON,
    split      VARCHAR,     -- NULL, county or township
    format     VARCHAR,     -- xlsx or csv
    rows       BIGINT,
    file       VARCHAR,
    sha256     VARCHAR,
    full_ids   BOOLEAN,
    run_id     INTEGER      -- the rule run whose watch-list was exported
);

-- Who was on each export. The case key is {year}-{the person's key in person_keys}; exports made
-- before keys had {year}-{first 16 hex of sha256(person_id)}, which anyone could compute from a
-- guessed ID: those rows carry the current key now and the old one in legacy_key, so that a
-- file exported then can still be returned (pipeline/store.py: _person_key_migration).
CREATE TABLE IF NOT EXISTS export_rows (
    export_id     VARCHAR,
    case_key      VARCHAR,
    person_id     VARCHAR,
    year          INTEGER,
    village_code  VARCHAR,
    rules         VARCHAR,
    severity      VARCHAR,
    status        VARCHAR,
    oop           DECIMAL(14,2),
    legacy_key    VARCHAR
);
ALTER TABLE export_rows ADD COLUMN IF NOT EXISTS legacy_key VARCHAR;

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

-- Visit outcomes. A changed value for the same (export_id, case_key) supersedes the earlier
-- event (superseded_by = the return that replaced it); the history stays.
CREATE TABLE IF NOT EXISTS case_events (
    event_id       BIGINT,
    return_id      INTEGER,
    export_id      VARCHAR,
    case_key       VARCHAR,
    person_id      VARCHAR,
    year           INTEGER,
    visit_date     DATE,
    outcome        VARCHAR,        -- a code of pipeline.labels.OUTCOMES
    assistance     DECIMAL(14,2),
    notes          VARCHAR,
    file           VARCHAR,
    sheet          VARCHAR,
    "row"          BIGINT,         -- 1-based, as Excel shows it
    returned_at    TIMESTAMP,
    superseded_by  INTEGER
);

-- Returned rows not loaded, with why. raw has any resident ID masked.
CREATE TABLE IF NOT EXISTS return_rejects (
    return_id  INTEGER,
    file       VARCHAR,
    sheet      VARCHAR,
    "row"      BIGINT,
    case_key   VARCHAR,
    reason     VARCHAR,
    detail     VARCHAR,
    raw        VARCHAR
);

-- Per person and year, in one dated list: list entries and exits, every export, every outcome.
CREATE OR REPLACE VIEW case_history AS
SELECT c.person_id, c.year, 'list_' || c.change AS kind, r.evaluated_at AS happened_at,
       CAST(r.evaluated_at AS DATE) AS day, NULL::VARCHAR AS export_id, NULL::VARCHAR AS region,
       NULL::VARCHAR AS outcome, NULL::DECIMAL(14,2) AS assistance, c.reason AS notes,
       NULL::VARCHAR AS file, NULL::INTEGER AS return_id, false AS superseded
FROM watch_changes AS c
JOIN rule_runs AS r USING (run_id)
UNION ALL
SELECT x.person_id, x.year, 'exported', e.made_at, CAST(e.made_at AS DATE), e.export_id,
       e.region, NULL, NULL, NULL, e.file, NULL, false
FROM export_rows AS x
JOIN exports AS e USING (export_id)
UNION ALL
SELECT person_id, year, 'outcome', returned_at, visit_date, export_id, NULL, outcome,
       assistance, notes, file, return_id, superseded_by IS NOT NULL
FROM case_events;

-- case_status_live (stored as the table case_status by marts/case_status.sql at every write:
-- ingest, export, returns, so that the dashboard reads it without the joins):
-- one row per person-year on the current watch-list, ever exported or with an outcome, and how
-- far its follow-up got: flagged → exported → visited (any outcome) → helped (assistance granted
-- or an amount above 0). Only current (not superseded) outcomes count.
CREATE OR REPLACE VIEW case_status_live AS
WITH listed AS (
    SELECT person_id, year, village_code, severity, status
    FROM watchlist
),
exported AS (
    SELECT x.person_id, x.year,
           min(e.made_at) AS first_exported_at,
           max(e.made_at) AS last_exported_at,
           arg_max(e.export_id, e.made_at) AS last_export_id,
           arg_max(e.region, e.made_at) AS export_region,
           arg_max(x.village_code, e.made_at) AS village_code,
           count(DISTINCT e.export_id) AS times_exported
    FROM export_rows AS x
    JOIN exports AS e USING (export_id)
    GROUP BY x.person_id, x.year
),
events AS (
    SELECT person_id, year,
           max(visit_date) AS last_visit_date,
           arg_max(outcome, (coalesce(visit_date, DATE '1900-01-01'), event_id)) AS last_outcome,
           CAST(coalesce(sum(assistance), 0) AS DECIMAL(14,2)) AS assistance_total,
           bool_or(outcome = 'assistance_granted') AS granted,
           count(*) AS outcomes
    FROM case_events
    WHERE superseded_by IS NULL
    GROUP BY person_id, year
),
keys AS (
    SELECT person_id, year FROM listed
    UNION SELECT person_id, year FROM exported
    UNION SELECT person_id, year FROM events
)
SELECT k.person_id, k.year,
       coalesce(l.village_code, x.village_code) AS village_code,
       l.person_id IS NOT NULL AS on_watchlist, l.severity, l.status,
       x.first_exported_at, x.last_exported_at, x.last_export_id, x.export_region,
       coalesce(x.times_exported, 0) AS times_exported,
       ev.last_visit_date, ev.last_outcome,
       coalesce(ev.assistance_total, 0)::DECIMAL(14,2) AS assistance_total,
       coalesce(ev.outcomes, 0) AS outcomes,
       CASE WHEN ev.granted OR ev.assistance_total > 0 THEN 'helped'
            WHEN ev.person_id IS NOT NULL THEN 'visited'
            WHEN x.person_id IS NOT NULL THEN 'exported'
            ELSE 'flagged' END AS stage
FROM keys AS k
LEFT JOIN listed AS l USING (person_id, year)
LEFT JOIN exported AS x USING (person_id, year)
LEFT JOIN events AS ev USING (person_id, year);

-- The follow-up stage of every person-year exported or with an outcome (same rule as
-- case_status, without the watch-list): the watch-list page joins it on every filter.
CREATE OR REPLACE VIEW case_stages AS
SELECT person_id, year,
       CASE WHEN bool_or(granted) OR sum(assistance) > 0 THEN 'helped'
            WHEN bool_or(is_event) THEN 'visited'
            ELSE 'exported' END AS stage
FROM (
    SELECT person_id, year, false AS is_event, false AS granted, 0 AS assistance
    FROM export_rows
    UNION ALL
    SELECT person_id, year, true, outcome = 'assistance_granted', coalesce(assistance, 0)
    FROM case_events
    WHERE superseded_by IS NULL
)
GROUP BY person_id, year;
