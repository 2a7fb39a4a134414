-- reads: watchlist
-- The latest run's list per region, rule and severity (a person counts once per rule).
CREATE OR REPLACE TABLE region_watch_rules AS
WITH fired AS (
    SELECT year, coalesce(village_code, '') AS village_code, severity,
           unnest(string_split(rules, ';')) AS rule
    FROM watchlist
)
SELECT f.year, lv.level, region_prefix(f.village_code, lv.level) AS code, f.rule, f.severity,
       count(*) AS people
FROM fired AS f
CROSS JOIN range(6) AS lv(level)
WHERE lv.level = 0 OR f.village_code <> ''
GROUP BY ALL
ORDER BY f.year, lv.level, code, f.rule, f.severity;
