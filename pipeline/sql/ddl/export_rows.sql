-- reads: nothing (a table of the store)
-- Who was on each export. The case key is {year}-{the person's key in person_keys}; exports made
-- before keys had {year}-{first 16 hex of sha256(person_id)}, which anyone could compute from a
-- guessed ID: those rows carry the current key now and the old one in legacy_key, so that a
-- file exported then can still be returned (pipeline/store/keys.py: migrate_case_keys).
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
