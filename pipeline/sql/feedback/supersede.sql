-- reads: decisions
-- Per person, year and department the decision with the latest decided_on (then the latest
-- loaded) stands; every other one points to it (superseded_by), its history kept. Only the
-- keys this file touched. Parameter: feedback_id.
UPDATE decisions
SET superseded_by = CASE WHEN decisions.decision_id = latest.decision_id THEN NULL
                         ELSE latest.decision_id END
FROM (
    SELECT d.person_id, d.year, d.department,
           arg_max(d.decision_id, (d.decided_on, d.decision_id)) AS decision_id
    FROM decisions AS d
    SEMI JOIN (SELECT DISTINCT person_id, year, department FROM decisions WHERE feedback_id = ?)
        AS touched USING (person_id, year, department)
    GROUP BY d.person_id, d.year, d.department
) AS latest
WHERE decisions.person_id = latest.person_id AND decisions.year = latest.year
  AND decisions.department = latest.department;
