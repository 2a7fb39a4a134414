-- reads: nothing (a table of the store)
-- Who was on each push, as the department saw them: row number, warning type, category, OOP,
-- the warning's line, the rules that fired, assistance paid and the replay's shortfall.
CREATE TABLE IF NOT EXISTS push_rows (
    push_id          VARCHAR,
    row_no           INTEGER,
    case_key         VARCHAR,
    person_id        VARCHAR,
    year             INTEGER,
    village_code     VARCHAR,
    category         VARCHAR,
    warning_type     VARCHAR,
    oop              DECIMAL(14,2),
    line             DECIMAL(14,2),
    rules            VARCHAR,
    severity         VARCHAR,
    assistance_paid  DECIMAL(14,2),
    shortfall        DECIMAL(14,2),
    change           VARCHAR       -- new, changed or same (against the previous push)
);
