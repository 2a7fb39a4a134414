-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS roster_rows (
    file_id           INTEGER,
    line              BIGINT,
    person_id         VARCHAR,
    name              VARCHAR,
    household_id      VARCHAR,
    relation          VARCHAR,
    village_code      VARCHAR,
    village_name      VARCHAR,
    category          VARCHAR,
    household_income  DECIMAL(14,2),
    risk_cause        VARCHAR,
    extra             JSON,
    phone             VARCHAR,  -- v1.1, optional (last: stores made before add it at the end)
    category_since    DATE      -- v1.1, optional: the date the row's category took effect
);
ALTER TABLE roster_rows ADD COLUMN IF NOT EXISTS phone VARCHAR;
ALTER TABLE roster_rows ADD COLUMN IF NOT EXISTS category_since DATE;
