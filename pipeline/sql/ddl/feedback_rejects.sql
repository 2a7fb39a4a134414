-- reads: nothing (a table of the store)
-- Departmental answer rows not loaded, with why. raw has any resident ID masked.
CREATE TABLE IF NOT EXISTS feedback_rejects (
    feedback_id  INTEGER,
    file         VARCHAR,
    sheet        VARCHAR,
    "row"        BIGINT,
    reason       VARCHAR,
    detail       VARCHAR,
    raw          VARCHAR
);
