-- reads: nothing (a table of the store)
-- The departments' decisions on pushed people (CONTRACT.md v1.1 feedback). Per person, year and
-- department the decision with the latest decided_on (then the latest loaded) stands; the
-- others carry superseded_by = its decision_id, and stay.
CREATE TABLE IF NOT EXISTS decisions (
    decision_id    BIGINT,
    feedback_id    INTEGER,
    push_id        VARCHAR,        -- the push answered (the file's, else the person-year's
                                   -- latest push to the department on or before decided_on)
    case_key       VARCHAR,
    person_id      VARCHAR,
    year           INTEGER,
    department     VARCHAR,        -- civil or rural
    decision       VARCHAR,        -- a code of pipeline.labels.DECISIONS
    decided_on     DATE,
    reason         VARCHAR,
    amount         DECIMAL(14,2),
    file           VARCHAR,
    sheet          VARCHAR,
    "row"          BIGINT,         -- 1-based, as Excel shows it (the line of a CSV)
    loaded_at      TIMESTAMP,
    superseded_by  BIGINT
);
