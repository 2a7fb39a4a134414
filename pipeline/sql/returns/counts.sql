-- reads: _return_stage, return_checked, case_events
-- One returned file's counts: rows read (anything filled in) = loaded + rejected; unfilled rows;
-- loaded rows that added no event (already recorded). Parameter: return_id.
SELECT (SELECT count(*) FROM _return_stage WHERE filled) AS rows_read,
       (SELECT count(*) FROM return_checked WHERE reason IS NULL) AS rows_loaded,
       (SELECT count(*) FROM return_checked WHERE reason IS NOT NULL) AS rows_rejected,
       (SELECT count(*) FROM _return_stage WHERE NOT filled) AS rows_unfilled,
       (SELECT count(*) FROM case_events WHERE return_id = ?) AS events_added;
