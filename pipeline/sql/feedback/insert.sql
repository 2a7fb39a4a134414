-- reads: feedback_checked, decisions
-- Load the valid rows of feedback_checked as decisions. A row equal to a decision already
-- recorded for the person, year and department (from any file) adds nothing; so does a repeat
-- within the file. Parameters: feedback_id, file, loaded_at.
INSERT INTO decisions
WITH params AS (
    SELECT ?::INTEGER AS feedback_id, ?::VARCHAR AS file, ?::TIMESTAMP AS loaded_at
),
valid AS (
    SELECT *
    FROM feedback_checked
    WHERE reason_code IS NULL
    QUALIFY row_number() OVER (
        PARTITION BY person_id, year, department, decision, decided_on, reason, amount
        ORDER BY sheet_no, "row"
    ) = 1
),
fresh AS (
    SELECT v.*
    FROM valid AS v
    ANTI JOIN decisions AS d
        ON d.person_id = v.person_id AND d.year = v.year AND d.department = v.department
       AND d.decision = v.decision AND d.decided_on = v.decided_on
       AND d.reason IS NOT DISTINCT FROM v.reason AND d.amount IS NOT DISTINCT FROM v.amount
)
SELECT (SELECT coalesce(max(decision_id), 0) FROM decisions)
           + row_number() OVER (ORDER BY f.sheet_no, f."row") AS decision_id,
       p.feedback_id, f.push_id, f.case_key, f.person_id, f.year, f.department, f.decision,
       f.decided_on, f.reason, f.amount, p.file, f.sheet, f."row", p.loaded_at,
       NULL AS superseded_by
FROM fresh AS f
CROSS JOIN params AS p;
