-- reads: claims_in_force
-- What the rule files read of an evaluation run (a province's eval_params): nationally no run
-- or import, and the data's date `as_of` is the latest settlement of any province's claims in
-- force (the projected and window kinds count their days from it).
SELECT CAST(0 AS BIGINT) AS run_id, CAST(NULL AS BIGINT) AS import_id,
       CAST(NULL AS TIMESTAMP) AS evaluated_at, max(settle_date) AS as_of,
       CAST(NULL AS VARCHAR) AS fingerprint
FROM claims_in_force
