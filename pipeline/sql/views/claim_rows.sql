-- reads: claim_log, claim_rows_superseded
-- The current version of every claim_id (corrections replace). Reversal rows are here too, with
-- `reverses` set; claims_effective leaves them and the claims they cancel out.
CREATE OR REPLACE VIEW claim_rows AS
SELECT l.*
FROM claim_log AS l
ANTI JOIN claim_rows_superseded AS s ON s.file_id = l.file_id AND s.line = l.line;
