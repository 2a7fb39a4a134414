-- reads: claims_effective, people
-- Claims per county and ISO week (Monday), with their total cost, medical assistance and OOP,
-- for the data-quality checks of quiet weeks and of weeks unlike the county's own history
-- (views/county_week_anomalies.sql): built once per import so they read a few thousand rows,
-- not every claim.
-- A build view over the scope (scope_*.sql); a weekly import adds its touched people's change.
CREATE OR REPLACE TEMP VIEW county_week_claims_build AS
SELECT substr(p.village_code, 1, 6) AS county,
       CAST(date_trunc('week', c.settle_date) AS DATE) AS week,
       count(*) AS claims,
       CAST(sum(c.total_cost) AS DECIMAL(14,2)) AS total_cost,
       CAST(sum(c.assistance_paid) AS DECIMAL(14,2)) AS assistance_paid,
       CAST(sum(c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid
                - coalesce(c.other_paid, 0)) AS DECIMAL(14,2)) AS oop
FROM scope_claims AS c
JOIN scope_people AS p USING (person_id)
WHERE p.village_code IS NOT NULL
GROUP BY ALL;
