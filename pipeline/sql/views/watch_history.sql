-- reads: watch_changes, rule_runs
-- Every run's entries and exits with their reasons, dated.
CREATE OR REPLACE VIEW watch_history AS
SELECT c.*, r.evaluated_at, r.import_id, r.fingerprint
FROM watch_changes AS c
JOIN rule_runs AS r USING (run_id);
