-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS codes (
    domain    VARCHAR,
    code      VARCHAR,
    label_zh  VARCHAR,
    label_en  VARCHAR,
    ord       INTEGER
);
