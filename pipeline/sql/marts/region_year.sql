-- reads: person_year, watchlist, region_names, region_oop_median
-- Every drill level's figures per region and year, computed once per import (after the rules
-- ran) so that each click of the dashboard reads a few rows: level 0 national (code ''),
-- 1 province (2 digits), 2 city (4), 3 county (6), 4 township (9), 5 village (12).
CREATE OR REPLACE TABLE region_year AS
-- Flagged people are the current watch-list's person-years, placed where their list entry
-- places them: the one definition every page uses (the overview, the watch-list, the export and
-- region_watch_runs count the same rows). A flagged person-year with no person_year row (a
-- roster person with neither claims nor enrolment that year: no_active_enrolment) counts as
-- flagged in its region, not as one of its people.
WITH flagged AS (
    SELECT person_id, year, status = 'new' AS is_new, household_id, village_code FROM watchlist
),
base AS (
    SELECT py.person_id, py.year, py.household_id, py.on_roster, py.enrolled_active,
           py.claims, py.total_cost, py.basic_paid, py.critical_paid, py.assistance_paid,
           py.other_paid, py.oop,
           f.person_id IS NOT NULL AS is_flagged, coalesce(f.is_new, false) AS is_new,
           coalesce(py.village_code, '') AS village_code, false AS only_flagged
    FROM person_year AS py
    LEFT JOIN flagged AS f USING (person_id, year)
    UNION ALL
    SELECT f.person_id, f.year, f.household_id, false, false, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, true, f.is_new, coalesce(f.village_code, ''), true
    FROM flagged AS f
    ANTI JOIN person_year AS py USING (person_id, year)
),
-- Figures per village first, then summed up the levels (all of them add up; the median is
-- region_oop_median's): every person-year copied once per level (9M rows at 1M people) and
-- grouped at once ran out of memory under 140 MB and took longer.
villages AS (
    SELECT village_code, year,
           count(*) FILTER (WHERE NOT only_flagged) AS people,
           count(*) FILTER (WHERE on_roster) AS roster_people,
           count(*) FILTER (WHERE on_roster AND enrolled_active) AS enrolled_active,
           count(*) FILTER (WHERE is_flagged) AS flagged,
           count(*) FILTER (WHERE is_new) AS flagged_new,
           -- the contract's fixed line (Heilongjiang, 10,000 yuan), shown beside the rules' list
           count(*) FILTER (WHERE oop > 10000) AS over_line,
           sum(claims) AS claims,
           sum(total_cost) AS total_cost,
           sum(basic_paid) AS basic_paid,
           sum(critical_paid) AS critical_paid,
           sum(assistance_paid) AS assistance_paid,
           sum(other_paid) AS other_paid,
           sum(oop) AS oop
    FROM base
    GROUP BY village_code, year
),
rolled AS (
    SELECT CAST(lv.level AS INTEGER) AS level,
           CASE WHEN lv.level = 5 THEN v.village_code
                ELSE region_prefix(v.village_code, lv.level) END AS code,
           CASE WHEN lv.level > 0 THEN region_prefix(v.village_code, lv.level - 1) END
               AS parent_code,
           v.year,
           CAST(sum(v.people) AS BIGINT) AS people,
           CAST(sum(v.roster_people) AS BIGINT) AS roster_people,
           CAST(sum(v.enrolled_active) AS BIGINT) AS enrolled_active,
           CAST(sum(v.flagged) AS BIGINT) AS flagged,
           CAST(sum(v.flagged_new) AS BIGINT) AS flagged_new,
           CAST(sum(v.over_line) AS BIGINT) AS over_line,
           -- (BIGINT: DuckDB sums BIGINTs as a HUGEINT, which Parquet stores as a DOUBLE)
           CAST(sum(v.claims) AS BIGINT) AS claims,
           CAST(sum(v.total_cost) AS DECIMAL(18,2)) AS total_cost,
           CAST(sum(v.basic_paid) AS DECIMAL(18,2)) AS basic_paid,
           CAST(sum(v.critical_paid) AS DECIMAL(18,2)) AS critical_paid,
           CAST(sum(v.assistance_paid) AS DECIMAL(18,2)) AS assistance_paid,
           CAST(sum(v.other_paid) AS DECIMAL(18,2)) AS other_paid,
           CAST(sum(v.oop) AS DECIMAL(18,2)) AS oop
    FROM villages AS v
    CROSS JOIN range(6) AS lv(level)
    WHERE lv.level = 0 OR v.village_code <> ''
    GROUP BY ALL
),
-- The people's households, where they live (person_year alone: the flagged rows without one
-- are no household's members)
members AS (
    SELECT year, household_id, coalesce(village_code, '') AS village_code
    FROM person_year
    WHERE household_id IS NOT NULL
),
-- Households per region: a distinct count over every level's rows cost 1.7 s at 1M people
-- (3.9M groups). A household whose members all live in one village counts once for that
-- village and each region above it, so those are counted per village and summed up the levels:
-- only the (rare) households spread over several villages are counted distinct per region.
household_villages AS (
    SELECT year, household_id, min(village_code) AS first_village,
           max(village_code) AS last_village
    FROM members
    GROUP BY year, household_id
),
one_village AS (
    SELECT year, first_village AS village_code, count(*) AS households
    FROM household_villages
    WHERE first_village = last_village
    GROUP BY ALL
),
household_counts AS (
    SELECT lv.level,
           CASE WHEN lv.level = 5 THEN v.village_code
                ELSE region_prefix(v.village_code, lv.level) END AS code,
           v.year, v.households
    FROM one_village AS v
    CROSS JOIN range(6) AS lv(level)
    WHERE lv.level = 0 OR v.village_code <> ''
    UNION ALL
    SELECT lv.level,
           CASE WHEN lv.level = 5 THEN b.village_code
                ELSE region_prefix(b.village_code, lv.level) END AS code,
           b.year, count(DISTINCT b.household_id)
    FROM members AS b
    SEMI JOIN (SELECT year, household_id FROM household_villages
               WHERE first_village <> last_village) AS s USING (year, household_id)
    CROSS JOIN range(6) AS lv(level)
    WHERE lv.level = 0 OR b.village_code <> ''
    GROUP BY ALL
),
households AS (
    SELECT level, code, year, CAST(sum(households) AS BIGINT) AS households
    FROM household_counts
    GROUP BY ALL
)
SELECT r.level, r.code, r.parent_code,
       CASE WHEN r.level = 0 THEN '全国' ELSE coalesce(n.name, r.code) END AS name,
       r.year, r.people, r.roster_people, r.enrolled_active,
       CASE WHEN r.roster_people > 0 THEN r.enrolled_active / r.roster_people END
           AS participation,
       r.flagged, r.flagged_new,
       CASE WHEN r.people > 0 THEN r.flagged / r.people END AS flag_rate,
       coalesce(h.households, 0) AS households, r.claims, r.total_cost, r.basic_paid, r.critical_paid, r.assistance_paid,
       r.other_paid, r.oop, m.oop_median, r.over_line
FROM rolled AS r
LEFT JOIN households AS h ON h.level = r.level AND h.code = r.code AND h.year = r.year
LEFT JOIN region_oop_median AS m ON m.level = r.level AND m.code = r.code AND m.year = r.year
LEFT JOIN region_names AS n ON n.code = r.code AND n.level = r.level
ORDER BY r.level, r.code, r.year;
