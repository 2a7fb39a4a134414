-- reads: watch_changes, rule_runs, pushes, push_rows, decisions, exports, export_rows, case_events, claim_rows
-- One case per person-year, every step of it dated, in order: flagged (entered the list) →
-- pushed (to which department) → decision (the department's, superseded ones kept and marked)
-- → exported (the caseworkers' list) → visit (its outcome) → assistance_paid (a claim with
-- medical assistance settled; a reversal row with its negative amount) → left_list (and why).
-- `day` is when it happened (a decision's decided_on, a visit's date, a claim's settlement);
-- `happened_at` when oopwatch learned it. Assignments live in the activity file (the dashboard
-- adds them to the case page).
CREATE OR REPLACE VIEW case_timeline AS
SELECT c.person_id, c.year,
       CASE c.change WHEN 'entered' THEN 'flagged' ELSE 'left_list' END AS step,
       CAST(r.as_of AS DATE) AS day, r.evaluated_at AS happened_at,
       NULL::VARCHAR AS department, c.reason AS code, c.oop_now AS amount,
       c.rules_before AS notes, CAST(c.run_id AS VARCHAR) AS ref, false AS superseded
FROM watch_changes AS c
JOIN rule_runs AS r USING (run_id)
UNION ALL
SELECT x.person_id, x.year, 'pushed', CAST(p.made_at AS DATE), p.made_at, p.department,
       x.warning_type, x.oop, x.rules, p.push_id, false
FROM push_rows AS x
JOIN pushes AS p USING (push_id)
UNION ALL
SELECT person_id, year, 'decision', decided_on, loaded_at, department, decision, amount, reason,
       push_id, superseded_by IS NOT NULL
FROM decisions
UNION ALL
SELECT x.person_id, x.year, 'exported', CAST(e.made_at AS DATE), e.made_at, NULL, x.status,
       x.oop, x.rules, e.export_id, false
FROM export_rows AS x
JOIN exports AS e USING (export_id)
UNION ALL
SELECT person_id, year, 'visit', coalesce(visit_date, CAST(returned_at AS DATE)), returned_at,
       NULL, outcome, assistance, notes, export_id, superseded_by IS NOT NULL
FROM case_events
UNION ALL
SELECT person_id, year(settle_date), 'assistance_paid', settle_date, CAST(settle_date AS TIMESTAMP),
       NULL, visit_type, assistance_paid, hospital, claim_id, false
FROM claim_rows
WHERE assistance_paid <> 0;
