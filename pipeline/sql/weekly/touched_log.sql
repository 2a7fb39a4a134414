-- reads: claim_log, claim_rows_superseded, touched
-- Every claim row of the touched people (every version, less reversal rows, which count for
-- nothing; only the columns the models read) and the file that replaced it, if one did: one scan
-- of the 10M claims; the models then read this table of a few hundred thousand rows. (Explicit
-- joins: correlated NOT EXISTS were planned as delim joins costing a second.)
CREATE OR REPLACE TEMP TABLE touched_log AS
SELECT c.*, s.superseded_by_file_id AS superseded_by
FROM (SELECT file_id, line, claim_id, person_id, settle_date, visit_type, total_cost, basic_paid,
             critical_paid, assistance_paid, other_paid, in_scope_cost
      FROM claim_log SEMI JOIN touched USING (person_id)
      WHERE reverses IS NULL) AS c
LEFT JOIN claim_rows_superseded AS s ON s.file_id = c.file_id AND s.line = c.line;
