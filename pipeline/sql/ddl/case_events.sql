-- reads: nothing (a table of the store)
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
