-- reads: nothing (a table of the store)
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
    category       VARCHAR,
    -- the rule whose threshold this is, and what it is compared with: a household_burden
    -- threshold is the household's, compared with the household's OOP, not the person's
    threshold_rule VARCHAR,
    compared_oop   DECIMAL(14,2)
);
-- Stores made before threshold_rule and compared_oop (new columns go last, as made now).
ALTER TABLE watch_entries ADD COLUMN IF NOT EXISTS threshold_rule VARCHAR;
ALTER TABLE watch_entries ADD COLUMN IF NOT EXISTS compared_oop DECIMAL(14,2);
-- A person's page reads their rows of these run-by-run tables (hundreds of thousands of rows
-- after a few weeks) by person_id: an index finds them in a millisecond instead of a scan.
CREATE INDEX IF NOT EXISTS watch_entries_person ON watch_entries (person_id);
