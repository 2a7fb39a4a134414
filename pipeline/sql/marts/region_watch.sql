-- The watch-list per region for every rule run: people on it (and new), people who entered and
-- who left. Appended: runs already counted stay as they were (the trend of the list's size reads
-- them), so an import counts only its own run. Levels as in region_year (0 national … 5 village).
CREATE TABLE IF NOT EXISTS region_watch_runs (
    run_id   INTEGER,
    year     INTEGER,
    level    INTEGER,
    code     VARCHAR,
    flagged  INTEGER,
    flagged_new INTEGER,
    entered  INTEGER,
    "left"   INTEGER
);

INSERT INTO region_watch_runs
WITH todo AS (
    SELECT run_id FROM rule_runs
    WHERE run_id > (SELECT coalesce(max(run_id), 0) FROM region_watch_runs)
),
listed AS (
    SELECT w.run_id, w.year, w.village_code, w.status = 'new' AS is_new
    FROM watch_runs AS w
    WHERE w.run_id IN (SELECT run_id FROM todo)
),
moved AS (
    SELECT c.run_id, c.year, p.village_code, c.change
    FROM watch_changes AS c
    LEFT JOIN people AS p USING (person_id)
    WHERE c.run_id IN (SELECT run_id FROM todo)
),
events AS (
    SELECT run_id, year, village_code, 1 AS flagged, CAST(is_new AS INTEGER) AS flagged_new,
           0 AS entered, 0 AS gone
    FROM listed
    UNION ALL
    SELECT run_id, year, village_code, 0, 0,
           CAST(change = 'entered' AS INTEGER), CAST(change = 'left' AS INTEGER)
    FROM moved
)
SELECT e.run_id, e.year, lv.level, region_prefix(coalesce(e.village_code, ''), lv.level) AS code,
       sum(e.flagged), sum(e.flagged_new), sum(e.entered), sum(e.gone)
FROM events AS e
CROSS JOIN range(6) AS lv(level)
WHERE lv.level = 0 OR coalesce(e.village_code, '') <> ''
GROUP BY ALL
ORDER BY e.run_id, lv.level, code;

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

-- Roster people per region, year and category (the overview's "people monitored by category").
CREATE OR REPLACE TABLE region_category AS
WITH villages AS (
    SELECT year, coalesce(village_code, '') AS village_code, category, count(*) AS people
    FROM person_year
    WHERE on_roster
    GROUP BY ALL
)
SELECT v.year, lv.level, region_prefix(v.village_code, lv.level) AS code, v.category,
       sum(v.people) AS people
FROM villages AS v
CROSS JOIN range(6) AS lv(level)
WHERE lv.level = 0 OR v.village_code <> ''
GROUP BY ALL
ORDER BY v.year, lv.level, code, v.category;
