-- reads: import_files, rule_runs, region_names
-- The cover's facts: the latest rule run (id, rules fingerprint, the data's latest settlement
-- date), when data was last imported, and the region's name. Parameters: region code, level.
WITH run AS (
    SELECT run_id, fingerprint, as_of
    FROM rule_runs
    WHERE run_id = (SELECT max(run_id) FROM rule_runs)
)
SELECT (SELECT run_id FROM run) AS run_id,
       (SELECT fingerprint FROM run) AS fingerprint,
       (SELECT as_of FROM run) AS claims_as_of,
       (SELECT max(imported_at) FROM import_files) AS data_as_of,
       (SELECT name FROM region_names WHERE code = ? AND level = ? LIMIT 1) AS region_name;
