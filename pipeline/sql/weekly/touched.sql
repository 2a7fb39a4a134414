-- reads: claim_log, claim_rows_superseded, roster_rows, enrolment_rows, people, reversed_claims
-- A weekly import updates only the people it touched (pipeline/models/build.py, refresh_models). Run
-- before any model is rebuilt, so people, reversed_claims and the rest still hold the state
-- before this import; `first_file` is the import's first file_id (every row of the import has
-- file_id >= it).
--
-- Touched: the people of the import's claim rows, of the rows those replaced, of the claims its
-- reversal rows cancel (or, replaced, no longer cancel), and of its roster and enrolment rows.
CREATE OR REPLACE TEMP TABLE touched AS
WITH cancelled AS (
    SELECT reverses AS claim_id FROM claim_log
    WHERE file_id >= getvariable('first_file') AND reverses IS NOT NULL
    UNION ALL
    SELECT reverses FROM claim_rows_superseded
    WHERE superseded_by_file_id >= getvariable('first_file') AND reverses IS NOT NULL
)
SELECT DISTINCT person_id FROM (
    SELECT person_id FROM claim_log WHERE file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id FROM claim_rows_superseded
    WHERE superseded_by_file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id FROM claim_log SEMI JOIN cancelled USING (claim_id)
    UNION ALL
    SELECT person_id FROM roster_rows WHERE file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id FROM enrolment_rows WHERE file_id >= getvariable('first_file')
)
WHERE person_id IS NOT NULL;

-- Households whose totals may change: the touched people's households before the import (the
-- ones after it are added once people is updated).
CREATE OR REPLACE TEMP TABLE touched_households AS
SELECT DISTINCT household_id FROM people SEMI JOIN touched USING (person_id)
WHERE household_id IS NOT NULL;

-- Every claim row of the touched people (every version, less reversal rows, which count for
-- nothing; only the columns the models read) and the file that replaced it, if one did: one scan
-- of the 10M claims; the models then read this table of a few hundred thousand rows. (Explicit
-- joins: correlated NOT EXISTS were planned as delim joins costing a second.)
CREATE OR REPLACE TEMP TABLE touched_log AS
SELECT c.*, s.superseded_by_file_id AS superseded_by
FROM (SELECT file_id, line, claim_id, person_id, settle_date, visit_type, total_cost, basic_paid,
             critical_paid, assistance_paid, other_paid, in_scope_cost
      FROM claim_log SEMI JOIN touched USING (person_id)
      WHERE reverses IS NULL) AS c
LEFT JOIN claim_rows_superseded AS s ON s.file_id = c.file_id AND s.line = c.line;

-- The touched people's claims per county and week before this import, to take out of
-- county_week_claims before their counts after it go in. Claims in force before the import:
-- rows of earlier files not replaced by earlier files, less the claims reversed then
-- (reversed_claims is not rebuilt yet); places as people had them.
CREATE OR REPLACE TEMP TABLE county_week_before AS
SELECT substr(p.village_code, 1, 6) AS county,
       CAST(date_trunc('week', c.settle_date) AS DATE) AS week,
       count(*) AS claims
FROM touched_log AS c
ANTI JOIN reversed_claims AS r ON r.claim_id = c.claim_id
JOIN people AS p USING (person_id)
WHERE c.file_id < getvariable('first_file')
  AND (c.superseded_by IS NULL OR c.superseded_by >= getvariable('first_file'))
  AND p.village_code IS NOT NULL
GROUP BY ALL;

-- The touched people's claims in force now (as claims_effective has them), once the models
-- before person_year (reversed_claims among them) are rebuilt: the weekly scope_claims.
CREATE OR REPLACE TEMP VIEW touched_claims AS
SELECT c.*, year(c.settle_date) AS year
FROM touched_log AS c
ANTI JOIN reversed_claims AS r ON r.claim_id = c.claim_id
WHERE c.superseded_by IS NULL;
