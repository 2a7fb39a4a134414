-- reads: watch_entries, rule_runs
-- Every run's watch-list: one row per run and flagged person-year, as earlier versions stored it.
CREATE OR REPLACE VIEW watch_runs AS
SELECT r.run_id, e.person_id, e.year, e.rules, e.oop, e.threshold, e.severity,
       CASE WHEN e.since_run = r.run_id THEN 'new' ELSE 'continuing' END AS status,
       e.first_flagged, r.run_id - e.since_run + 1 AS weeks_on_list,
       e.explain_zh, e.explain_en, e.name, e.household_id, e.village_code, e.category
FROM watch_entries AS e
JOIN rule_runs AS r ON r.run_id >= e.from_run AND r.run_id < coalesce(e.to_run, 2147483647);
