-- reads: nothing (a table of the store)
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
