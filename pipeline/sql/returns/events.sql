-- reads: return_checked, case_events
-- Load the valid rows of return_checked as outcome events. A row whose values equal the current
-- event of the same case key (from any file) adds nothing; so does a repeat within the file.
-- Parameters: return_id, export_id, file, returned_at.
INSERT INTO case_events
WITH params AS (
    SELECT ?::INTEGER AS return_id, ?::VARCHAR AS export_id, ?::VARCHAR AS file,
           ?::TIMESTAMP AS returned_at
),
valid AS (
    SELECT *
    FROM return_checked
    WHERE reason IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY case_key, visit_date, outcome, assistance, notes ORDER BY sheet_no, "row"
    ) = 1
),
fresh AS (
    SELECT v.*
    FROM valid AS v
    ANTI JOIN (SELECT * FROM case_events WHERE superseded_by IS NULL) AS e
        ON e.case_key = v.case_key
       AND e.outcome = v.outcome
       AND e.visit_date IS NOT DISTINCT FROM v.visit_date
       AND e.assistance IS NOT DISTINCT FROM v.assistance
       AND e.notes IS NOT DISTINCT FROM v.notes
)
SELECT (SELECT coalesce(max(event_id), 0) FROM case_events)
           + row_number() OVER (ORDER BY f.sheet_no, f."row") AS event_id,
       p.return_id, p.export_id, f.case_key, f.person_id, f.year, f.visit_date, f.outcome,
       f.assistance, f.notes, p.file, f.sheet, f."row", p.returned_at, NULL AS superseded_by
FROM fresh AS f
CROSS JOIN params AS p;
