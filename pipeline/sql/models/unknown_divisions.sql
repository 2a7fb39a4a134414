-- reads: people, divisions
-- Data quality: division codes of known people that the bundled MCA list does not name. They are
-- accepted and shown as their code; this table (built per import, read by the quality page)
-- counts them per missing code and level. Codes are checked once per village, and only the
-- people of villages with a missing code are counted.
CREATE OR REPLACE TABLE unknown_divisions AS
WITH villages AS (
    SELECT DISTINCT village_code FROM people WHERE village_code IS NOT NULL
),
prefixes AS (
    SELECT v.village_code, lv.level, region_prefix(v.village_code, lv.level) AS code
    FROM villages AS v
    CROSS JOIN range(1, 5) AS lv(level)
),
missing AS (
    SELECT p.*
    FROM prefixes AS p
    ANTI JOIN divisions AS d ON d.code = p.code AND d.level = p.level
)
SELECT m.level, m.code, count(DISTINCT pe.household_id) AS households, count(*) AS people
FROM missing AS m
JOIN people AS pe USING (village_code)
GROUP BY m.level, m.code
ORDER BY m.level, m.code;
