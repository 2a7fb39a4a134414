-- reads: person_year
-- Roster people per region, year and category (the overview's "people monitored by category").
CREATE OR REPLACE TABLE region_category AS
WITH villages AS (
    SELECT year, coalesce(village_code, '') AS village_code, category, count(*) AS people
    FROM person_year
    WHERE on_roster
    GROUP BY ALL
)
SELECT v.year, lv.level, region_prefix(v.village_code, lv.level) AS code, v.category,
       CAST(sum(v.people) AS BIGINT) AS people  -- (a HUGEINT otherwise: a DOUBLE in Parquet)
FROM villages AS v
CROSS JOIN range(6) AS lv(level)
WHERE lv.level = 0 OR v.village_code <> ''
GROUP BY ALL
ORDER BY v.year, lv.level, code, v.category;
