-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS divisions (
    code         VARCHAR,
    level        INTEGER,
    name         VARCHAR,
    parent_code  VARCHAR
);
