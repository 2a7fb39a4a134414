-- reads: _feedback_stage, feedback_checked, decisions
-- One answer file's counts: rows read (an answer filled in) = loaded + rejected; unfilled rows;
-- loaded rows that added no decision (already recorded). Parameter: feedback_id.
SELECT (SELECT count(*) FROM _feedback_stage WHERE filled) AS rows_read,
       (SELECT count(*) FROM feedback_checked WHERE reason_code IS NULL) AS rows_loaded,
       (SELECT count(*) FROM feedback_checked WHERE reason_code IS NOT NULL) AS rows_rejected,
       (SELECT count(*) FROM _feedback_stage WHERE NOT filled) AS rows_unfilled,
       (SELECT count(*) FROM decisions WHERE feedback_id = ?) AS decisions_added;
