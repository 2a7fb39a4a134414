-- Claims per county and ISO week (Monday), for the data-quality check of unusually quiet weeks:
-- built once per import so the page reads a few thousand rows, not every claim.
CREATE OR REPLACE TABLE county_week_claims AS
SELECT substr(p.village_code, 1, 6) AS county,
       CAST(date_trunc('week', c.settle_date) AS DATE) AS week,
       count(*) AS claims
FROM claims_effective AS c
JOIN people AS p USING (person_id)
WHERE p.village_code IS NOT NULL
GROUP BY ALL
ORDER BY county, week;
