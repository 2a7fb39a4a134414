-- reads: nothing (a table of the store)
-- The medical-assistance replay claim by claim (sql/assistance/assist_claims.sql writes it after
-- every rule run: in full, or after a weekly import for the people the rules decide again): the
-- claims the policy has a step for, and every claim of a person with several roster rows; the
-- view assistance_claims adds the others, entitled to nothing.
CREATE TABLE IF NOT EXISTS assist_claims (
    claim_id         VARCHAR,
    person_id        VARCHAR,
    year             BIGINT,
    settle_date      DATE,
    visit_type       VARCHAR,
    category         VARCHAR,        -- the person's category on the claim's date
    category_dated   VARCHAR,        -- by the roster's category_since, or its import date
    village_code     VARCHAR,
    policy_region    VARCHAR,        -- the most specific region file of the item ('' default)
    visit_group      VARCHAR,
    remainder        DECIMAL(14,2),  -- in-scope cost - basic - critical, at least 0
    deductible_used  DECIMAL(14,2),
    ratio            DECIMAL(6,4),
    cap_left         DECIMAL(14,2),
    entitled         DECIMAL(14,2),
    tilted           DECIMAL(14,2),
    paid             DECIMAL(14,2)
);
-- No index: an ART index on person_id made every weekly import's commit rewrite it (5M keys
-- at 1M people); a person's page scans the column instead, beside its other queries.
DROP INDEX IF EXISTS assist_claims_person;
-- Stores whose replay predates category_dated (rows are inserted by name).
ALTER TABLE assist_claims ADD COLUMN IF NOT EXISTS category_dated VARCHAR;
