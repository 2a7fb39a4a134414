-- reads: touched_log, touched_cancelled, claim_log, claim_rows_superseded, roster_rows
-- The person-years whose medical-assistance replay a weekly import may change (the replay reads
-- a person-year's own claims alone): the years of the import's claim rows, of the rows they
-- replaced and of the claims its reversal rows cancel (or, replaced, no longer cancel); and
-- every year with claims of the people its roster rows name (a category or a place holds
-- across years). pipeline/rules/evaluation.py (replay_assistance) replays these only: most of
-- a week's claims are of the current year.
CREATE OR REPLACE TEMP TABLE touched_years AS
WITH rostered AS (
    SELECT DISTINCT person_id FROM roster_rows WHERE file_id >= getvariable('first_file')
)
SELECT DISTINCT person_id, year FROM (
    SELECT person_id, year(settle_date) AS year FROM claim_log
    WHERE file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id, year(settle_date) FROM claim_rows_superseded
    WHERE superseded_by_file_id >= getvariable('first_file')
    UNION ALL
    -- (the cancelled claims' people are touched: their rows are in touched_log, a fraction of
    -- claim_log)
    SELECT person_id, year(settle_date) FROM touched_log SEMI JOIN touched_cancelled USING (claim_id)
    UNION ALL
    SELECT person_id, year(settle_date) FROM touched_log SEMI JOIN rostered USING (person_id)
)
WHERE person_id IS NOT NULL AND year IS NOT NULL;
