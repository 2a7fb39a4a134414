-- reads: claim_log, claim_rows_superseded
-- The claims a weekly import's reversal rows cancel or, replaced, no longer cancel (touched.sql
-- and touched_years.sql read it; `first_file` is the import's first file_id).
CREATE OR REPLACE TEMP TABLE touched_cancelled AS
SELECT reverses AS claim_id FROM claim_log
WHERE file_id >= getvariable('first_file') AND reverses IS NOT NULL
UNION ALL
SELECT reverses FROM claim_rows_superseded
WHERE superseded_by_file_id >= getvariable('first_file') AND reverses IS NOT NULL;
