-- Every run's flags and watch-list, read from their entries (schema.sql): an entry counts for
-- the runs from its from_run up to, not including, its to_run (NULL: it still holds).
-- Created when the store opens (cases.sql reads them).

-- The watch-list of the latest evaluation run (CONTRACT.md section 3), with who the person is
-- (stored with each entry, so no join: the dashboard filters it on every click). The entries
-- that still hold are exactly the latest run's list: every run ends those it no longer lists.
CREATE OR REPLACE VIEW watchlist AS
SELECT e.person_id, e.year, e.rules, e.oop, e.threshold, e.severity,
       CASE WHEN e.since_run = r.run_id THEN 'new' ELSE 'continuing' END AS status,
       e.first_flagged, r.run_id - e.since_run + 1 AS weeks_on_list,
       e.explain_zh, e.explain_en, r.run_id, e.name, e.household_id, e.village_code, e.category
FROM watch_entries AS e
CROSS JOIN (SELECT max(run_id) AS run_id FROM rule_runs) AS r
WHERE e.to_run IS NULL;

-- Every run's watch-list: one row per run and flagged person-year, as earlier versions stored it.
CREATE OR REPLACE VIEW watch_runs AS
SELECT r.run_id, e.person_id, e.year, e.rules, e.oop, e.threshold, e.severity,
       CASE WHEN e.since_run = r.run_id THEN 'new' ELSE 'continuing' END AS status,
       e.first_flagged, r.run_id - e.since_run + 1 AS weeks_on_list,
       e.explain_zh, e.explain_en, e.name, e.household_id, e.village_code, e.category
FROM watch_entries AS e
JOIN rule_runs AS r ON r.run_id >= e.from_run AND r.run_id < coalesce(e.to_run, 2147483647);

-- Every rule that fired, per run, person and year.
CREATE OR REPLACE VIEW flags AS
SELECT r.run_id, f.person_id, f.year, f.rule_id, f.oop, f.threshold, f.severity,
       f.note_zh, f.note_en, f.explain_zh, f.explain_en
FROM flag_entries AS f
JOIN rule_runs AS r ON r.run_id >= f.from_run AND r.run_id < coalesce(f.to_run, 2147483647);
