-- reads: person_year
-- The median OOP per region and year, level by level, for region_year: a median keeps every
-- value of its group in memory, and all six levels in one grouping held 9M values at 1M people
-- (out of memory under 250 MB; at 10M people under the default limit; six levels in one
-- statement, a UNION ALL, still failed under 140 MB). One statement per level holds a sixth.
-- A temporary table: the dashboard reads region_year.
CREATE OR REPLACE TEMP MACRO level_oop_median(lv) AS TABLE
    SELECT lv AS level, region_prefix(coalesce(village_code, ''), lv) AS code, year,
           CAST(money_median(oop) AS DECIMAL(14,2)) AS oop_median
    FROM person_year
    WHERE lv = 0 OR coalesce(village_code, '') <> ''
    GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE region_oop_median AS FROM level_oop_median(0);
INSERT INTO region_oop_median FROM level_oop_median(1);
INSERT INTO region_oop_median FROM level_oop_median(2);
INSERT INTO region_oop_median FROM level_oop_median(3);
INSERT INTO region_oop_median FROM level_oop_median(4);
INSERT INTO region_oop_median FROM level_oop_median(5);
