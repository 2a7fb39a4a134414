-- reads: nothing (a table of the store)
-- Every list pushed to a department (oopwatch push): who, when, to whom, for which region and
-- year, which file (its sha256). seq counts the pushes to one department, region and year.
CREATE TABLE IF NOT EXISTS pushes (
    push_id      VARCHAR,
    seq          INTEGER,
    made_at      TIMESTAMP,
    os_user      VARCHAR,
    department   VARCHAR,     -- civil or rural
    year         INTEGER,
    region       VARCHAR,     -- village-code prefix ('' = nationwide)
    categories   VARCHAR[],   -- the categories pushed ([] = every category of a warning type)
    since_last   BOOLEAN,     -- only who was new or changed since the previous push
    previous_id  VARCHAR,     -- that previous push
    lang         VARCHAR,
    format       VARCHAR,     -- xlsx or csv
    rows         BIGINT,
    file         VARCHAR,
    sha256       VARCHAR,
    full_ids     BOOLEAN,
    reason       VARCHAR,     -- why full IDs were sent (the data-sharing agreement)
    run_id       INTEGER      -- the rule run whose watch-list was pushed
);
