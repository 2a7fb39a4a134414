-- reads: nothing (a table of the store)
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
