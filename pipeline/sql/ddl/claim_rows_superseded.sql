-- reads: claim_log
-- Rows a later row of the same claim_id replaced (a copy, with the file that replaced it).
CREATE TABLE IF NOT EXISTS claim_rows_superseded AS
SELECT *, CAST(NULL AS INTEGER) AS superseded_by_file_id FROM claim_log LIMIT 0;
