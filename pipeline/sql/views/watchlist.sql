-- reads: watch_entries, rule_runs
-- The watch-list of the latest evaluation run (CONTRACT.md section 3), with who the person is
-- (stored with each entry, so no join: the dashboard filters it on every click). The entries
-- that still hold are exactly the latest run's list: every run ends those it no longer lists.
CREATE OR REPLACE VIEW watchlist AS
SELECT e.person_id, e.year, e.rules, e.oop, e.threshold, e.severity,
       CASE WHEN e.since_run = r.run_id THEN 'new' ELSE 'continuing' END AS status,
       e.first_flagged, r.run_id - e.since_run + 1 AS weeks_on_list,
       e.explain_zh, e.explain_en, r.run_id, e.name, e.household_id, e.village_code, e.category,
       e.threshold_rule, coalesce(e.compared_oop, e.oop) AS compared_oop
FROM watch_entries AS e
CROSS JOIN (SELECT max(run_id) AS run_id FROM rule_runs) AS r
WHERE e.to_run IS NULL;
