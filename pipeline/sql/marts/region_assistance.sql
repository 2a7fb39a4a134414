-- reads: assist_replay, people
-- The medical-assistance replay per drill level, region and year (level 0 national, code ''; 1
-- province … 5 village, as region_year): what the policy entitled people to, what was paid, the
-- shortfall and the overpayment (summed per person-year, never netted across people), and how
-- many people were paid short. People with no place count nationally only.
CREATE OR REPLACE TABLE region_assistance AS
WITH base AS (
    SELECT r.year, coalesce(p.village_code, '') AS village_code, r.entitled, r.paid,
           r.shortfall, r.overpaid
    FROM assist_replay AS r
    LEFT JOIN people AS p USING (person_id)
),
levels AS (
    SELECT 0 AS level, '' AS code, * FROM base
    UNION ALL SELECT 1, substr(village_code, 1, 2), * FROM base WHERE village_code <> ''
    UNION ALL SELECT 2, substr(village_code, 1, 4), * FROM base WHERE village_code <> ''
    UNION ALL SELECT 3, substr(village_code, 1, 6), * FROM base WHERE village_code <> ''
    UNION ALL SELECT 4, substr(village_code, 1, 9), * FROM base WHERE village_code <> ''
    UNION ALL SELECT 5, village_code, * FROM base WHERE village_code <> ''
)
SELECT level, code, year,
       CAST(sum(entitled) AS DECIMAL(14,2)) AS entitled,
       CAST(sum(paid) AS DECIMAL(14,2)) AS paid,
       CAST(sum(shortfall) AS DECIMAL(14,2)) AS shortfall,
       CAST(sum(overpaid) AS DECIMAL(14,2)) AS overpaid,
       count(*) FILTER (WHERE shortfall > 0) AS people_short
FROM levels
GROUP BY ALL
ORDER BY level, code, year;
