-- reads: case_events
-- Of the events of one (export_id, case_key) the latest stands; the return that loaded it
-- supersedes the earlier ones (their history stays). Only the keys this return touched.
-- Parameter: return_id.
UPDATE case_events
SET superseded_by = latest.return_id
FROM (
    SELECT export_id, case_key, max(event_id) AS event_id,
           arg_max(return_id, event_id) AS return_id
    FROM case_events
    WHERE superseded_by IS NULL
      AND case_key IN (SELECT case_key FROM case_events WHERE return_id = ?)
    GROUP BY export_id, case_key
) AS latest
WHERE case_events.superseded_by IS NULL
  AND case_events.case_key = latest.case_key
  AND case_events.export_id IS NOT DISTINCT FROM latest.export_id
  AND case_events.event_id < latest.event_id;
