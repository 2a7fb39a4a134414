-- reads: nothing (a table of the store)
-- The medical-assistance replay per person-year (sql/assistance/assist_replay.sql).
CREATE TABLE IF NOT EXISTS assist_replay (
    person_id      VARCHAR,
    year           BIGINT,
    category       VARCHAR,
    entitled       DECIMAL(14,2),
    paid           DECIMAL(14,2),
    shortfall      DECIMAL(14,2),
    overpaid       DECIMAL(14,2),
    claims_short   BIGINT,
    claims         BIGINT,
    policy_region  VARCHAR,
    replayed       BOOLEAN         -- some of its claims have a replay step (in assist_claims)
);
-- Stores from before replayed (rows are inserted by name).
ALTER TABLE assist_replay ADD COLUMN IF NOT EXISTS replayed BOOLEAN;
