-- reads: nothing (a table of the store)
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
    explain_en   VARCHAR,
    compared_oop DECIMAL(14,2)  -- what threshold is compared with (the household's OOP for
                                -- household_burden, else the person's)
);
-- Stores made before compared_oop (a new column goes last, as in a store made now).
ALTER TABLE flag_entries ADD COLUMN IF NOT EXISTS compared_oop DECIMAL(14,2);
CREATE INDEX IF NOT EXISTS flag_entries_person ON flag_entries (person_id);
