-- reads: nothing (a table of the store)
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
