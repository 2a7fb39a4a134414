-- reads: nothing (a table of the store)
CREATE TABLE IF NOT EXISTS enrolment_rows (
    file_id       INTEGER,
    line          BIGINT,
    person_id     VARCHAR,
    year          INTEGER,
    scheme        VARCHAR,
    status        VARCHAR,
    subsidy       DECIMAL(14,2),
    name          VARCHAR,
    household_id  VARCHAR,
    village_code  VARCHAR,
    extra         JSON
);
