-- reads: flag_entries, rule_runs
-- Every rule that fired, per run, person and year.
CREATE OR REPLACE VIEW flags AS
SELECT r.run_id, f.person_id, f.year, f.rule_id, f.oop, f.threshold, f.severity,
       f.note_zh, f.note_en, f.explain_zh, f.explain_en,
       coalesce(f.compared_oop, f.oop) AS compared_oop
FROM flag_entries AS f
JOIN rule_runs AS r ON r.run_id >= f.from_run AND r.run_id < coalesce(f.to_run, 2147483647);
