-- reads: nothing (a table of the store)
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
CREATE INDEX IF NOT EXISTS watch_changes_person ON watch_changes (person_id);
