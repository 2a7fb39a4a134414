-- reads: touched_log, reversed_claims, people
-- The touched people's claims per county and week before this import, to take out of
-- county_week_claims before their counts after it go in. Claims in force before the import:
-- rows of earlier files not replaced by earlier files, less the claims reversed then
-- (reversed_claims is not rebuilt yet); places as people had them.
CREATE OR REPLACE TEMP TABLE county_week_before AS
SELECT substr(p.village_code, 1, 6) AS county,
       CAST(date_trunc('week', c.settle_date) AS DATE) AS week,
       count(*) AS claims,
       CAST(sum(c.total_cost) AS DECIMAL(14,2)) AS total_cost,
       CAST(sum(c.assistance_paid) AS DECIMAL(14,2)) AS assistance_paid,
       CAST(sum(c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid
                - coalesce(c.other_paid, 0)) AS DECIMAL(14,2)) AS oop
FROM touched_log AS c
ANTI JOIN reversed_claims AS r ON r.claim_id = c.claim_id
JOIN people AS p USING (person_id)
WHERE c.file_id < getvariable('first_file')
  AND (c.superseded_by IS NULL OR c.superseded_by >= getvariable('first_file'))
  AND p.village_code IS NOT NULL
GROUP BY ALL;
