-- reads: claims_effective, people
-- Claims per county and ISO week (Monday), for the data-quality check of unusually quiet weeks:
-- built once per import so the page reads a few thousand rows, not every claim.
-- A build view over the scope (scope_*.sql); a weekly import adds its touched people's change.
CREATE OR REPLACE TEMP VIEW county_week_claims_build AS
SELECT substr(p.village_code, 1, 6) AS county,
       CAST(date_trunc('week', c.settle_date) AS DATE) AS week,
       count(*) AS claims
FROM scope_claims AS c
JOIN scope_people AS p USING (person_id)
WHERE p.village_code IS NOT NULL
GROUP BY ALL;
