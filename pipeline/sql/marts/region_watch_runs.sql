-- reads: watch_runs, watch_changes, rule_runs, people
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
