-- The store: tables the importer appends to. Views of the contract are in views.sql.
CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR);

CREATE TABLE IF NOT EXISTS import_batches (
    import_id    INTEGER,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    os_user      VARCHAR,
    command      VARCHAR
);

CREATE TABLE IF NOT EXISTS import_files (
    file_id        INTEGER,
    import_id      INTEGER,
    file           VARCHAR,
    sha256         VARCHAR,
    kind           VARCHAR,
    format         VARCHAR,
    encoding       VARCHAR,
    headers        VARCHAR[],
    extra_columns  VARCHAR[],
    rows_read      BIGINT,
    rows_loaded    BIGINT,
    rows_rejected  BIGINT,
    imported_at    TIMESTAMP
);

CREATE TABLE IF NOT EXISTS rejects (
    import_id  INTEGER,
    file_id    INTEGER,
    file       VARCHAR,
    kind       VARCHAR,
    line       BIGINT,
    reason     VARCHAR,
    detail     VARCHAR,
    person_id  VARCHAR,
    raw        VARCHAR
);

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
    extra             JSON
);

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

-- The current version of every claim_id (corrections replace; older versions move to
-- claim_rows_superseded). Reversal rows are kept here too, with `reverses` set.
CREATE TABLE IF NOT EXISTS claim_rows (
    file_id          INTEGER,
    line             BIGINT,
    claim_id         VARCHAR,
    person_id        VARCHAR,
    settle_date      DATE,
    visit_type       VARCHAR,
    total_cost       DECIMAL(14,2),
    basic_paid       DECIMAL(14,2),
    critical_paid    DECIMAL(14,2),
    assistance_paid  DECIMAL(14,2),
    other_paid       DECIMAL(14,2),
    in_scope_cost    DECIMAL(14,2),
    diagnosis        VARCHAR,
    hospital         VARCHAR,
    reverses         VARCHAR,
    extra            JSON
);

-- Same columns as claim_rows, plus the file whose row replaced this one.
CREATE TABLE IF NOT EXISTS claim_rows_superseded AS
SELECT *, CAST(NULL AS INTEGER) AS superseded_by_file_id FROM claim_rows LIMIT 0;

CREATE TABLE IF NOT EXISTS divisions (
    code         VARCHAR,
    level        INTEGER,
    name         VARCHAR,
    parent_code  VARCHAR
);

CREATE TABLE IF NOT EXISTS codes (
    domain    VARCHAR,
    code      VARCHAR,
    label_zh  VARCHAR,
    label_en  VARCHAR,
    ord       INTEGER
);
