-- Every drill level's figures per region and year, computed once per import (after the rules
-- ran) so that each click of the dashboard reads a few rows: level 0 national (code ''),
-- 1 province (2 digits), 2 city (4), 3 county (6), 4 township (9), 5 village (12).
CREATE OR REPLACE TABLE region_year AS
WITH flagged AS (
    SELECT person_id, year, status = 'new' AS is_new FROM watchlist
),
base AS (
    SELECT py.person_id, py.year, py.household_id, py.on_roster, py.enrolled_active,
           py.claims, py.total_cost, py.basic_paid, py.critical_paid, py.assistance_paid,
           py.other_paid, py.oop,
           f.person_id IS NOT NULL AS is_flagged, coalesce(f.is_new, false) AS is_new,
           coalesce(py.village_code, '') AS village_code
    FROM person_year AS py
    LEFT JOIN flagged AS f USING (person_id, year)
),
levels AS (
    SELECT 0 AS level, '' AS code, NULL AS parent_code, * FROM base
    UNION ALL SELECT 1, substr(village_code, 1, 2), '', * FROM base
    UNION ALL SELECT 2, substr(village_code, 1, 4), substr(village_code, 1, 2), * FROM base
    UNION ALL SELECT 3, substr(village_code, 1, 6), substr(village_code, 1, 4), * FROM base
    UNION ALL SELECT 4, substr(village_code, 1, 9), substr(village_code, 1, 6), * FROM base
    UNION ALL SELECT 5, village_code, substr(village_code, 1, 9), * FROM base
),
rolled AS (
    SELECT level, code, any_value(parent_code) AS parent_code, year,
           count(*) AS people,
           count(*) FILTER (WHERE on_roster) AS roster_people,
           count(*) FILTER (WHERE on_roster AND enrolled_active) AS enrolled_active,
           count(*) FILTER (WHERE is_flagged) AS flagged,
           count(*) FILTER (WHERE is_new) AS flagged_new,
           -- the contract's fixed line (Heilongjiang, 10,000 yuan), shown beside the rules' list
           count(*) FILTER (WHERE oop > 10000) AS over_line,
           count(DISTINCT household_id) AS households,
           sum(claims) AS claims,
           CAST(sum(total_cost) AS DECIMAL(18,2)) AS total_cost,
           CAST(sum(basic_paid) AS DECIMAL(18,2)) AS basic_paid,
           CAST(sum(critical_paid) AS DECIMAL(18,2)) AS critical_paid,
           CAST(sum(assistance_paid) AS DECIMAL(18,2)) AS assistance_paid,
           CAST(sum(other_paid) AS DECIMAL(18,2)) AS other_paid,
           CAST(sum(oop) AS DECIMAL(18,2)) AS oop,
           CAST(median(oop) AS DECIMAL(14,2)) AS oop_median
    FROM levels
    WHERE level = 0 OR code <> ''
    GROUP BY level, code, year
)
SELECT r.level, r.code, r.parent_code,
       CASE WHEN r.level = 0 THEN '全国' ELSE coalesce(n.name, r.code) END AS name,
       r.year, r.people, r.roster_people, r.enrolled_active,
       CASE WHEN r.roster_people > 0 THEN r.enrolled_active / r.roster_people END
           AS participation,
       r.flagged, r.flagged_new,
       CASE WHEN r.people > 0 THEN r.flagged / r.people END AS flag_rate,
       r.households, r.claims, r.total_cost, r.basic_paid, r.critical_paid, r.assistance_paid,
       r.other_paid, r.oop, r.oop_median, r.over_line
FROM rolled AS r
LEFT JOIN region_names AS n ON n.code = r.code AND n.level = r.level
ORDER BY r.level, r.code, r.year;
