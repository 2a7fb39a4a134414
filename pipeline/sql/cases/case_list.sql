-- reads: case_status, watch_changes, rule_runs, pushes, push_rows, decisions, people, person_year, region_names
-- Every case (person-year flagged, exported, pushed or decided on) of a region and year, where it
-- stands and whether it is overdue: pushed and no decision (other than verifying) from that
-- department after the push `decision_days` working days on (weekends, the holidays[] and the
-- worked weekend days workdays[] of rules/holidays.csv), or exported and no visit outcome
-- `visit_days` days on. The deadline runs from the earliest push not answered yet (a push
-- repeated every ten days does not restart it). Parameters: today, decision_days, visit_days,
-- holidays[], workdays[], region prefix, year.
WITH params AS (
    SELECT ?::DATE AS today, ?::INTEGER AS decision_days, ?::INTEGER AS visit_days,
           ?::DATE[] AS holidays, ?::DATE[] AS workdays, ?::VARCHAR AS region,
           ?::INTEGER AS for_year
),
in_region AS (  -- the region's people (stored by place: a prefix reads few row groups)
    SELECT person_id, name, village_code, category
    FROM people
    WHERE starts_with(coalesce(village_code, ''), (SELECT region FROM params))
),
pushed AS (
    SELECT x.person_id, x.year, p.department, p.made_at, x.warning_type
    FROM push_rows AS x
    JOIN pushes AS p USING (push_id)
    CROSS JOIN params AS q
    WHERE x.year = q.for_year AND starts_with(coalesce(x.village_code, ''), q.region)
),
decided AS (
    SELECT person_id, year, department, decision, decided_on, loaded_at, reason, amount
    FROM decisions
    WHERE superseded_by IS NULL AND year = (SELECT for_year FROM params)
),
last_answer AS (  -- per person-year and department, when it last gave a decision
    SELECT person_id, year, department, max(loaded_at) AS answered_at, max(decided_on) AS day
    FROM decisions
    WHERE decision <> 'verifying' AND year = (SELECT for_year FROM params)
    GROUP BY person_id, year, department
),
waiting AS (  -- the earliest push of each department not answered since
    SELECT u.person_id, u.year, u.department, min(CAST(u.made_at AS DATE)) AS since
    FROM pushed AS u
    LEFT JOIN last_answer AS a USING (person_id, year, department)
    WHERE a.answered_at IS NULL OR (u.made_at > a.answered_at AND CAST(u.made_at AS DATE) > a.day)
    GROUP BY u.person_id, u.year, u.department
),
calendar AS (
    SELECT CAST(d AS DATE) AS day,
           CASE WHEN list_contains(q.workdays, CAST(d AS DATE)) THEN 1
                WHEN list_contains(q.holidays, CAST(d AS DATE)) THEN 0
                WHEN isodow(d) <= 5 THEN 1 ELSE 0 END AS working
    FROM params AS q,
         range(CAST(coalesce((SELECT min(since) FROM waiting), q.today) AS TIMESTAMP),
               CAST(q.today + INTERVAL 400 DAY AS TIMESTAMP), INTERVAL 1 DAY) AS t(d)
),
numbered AS (
    SELECT day, working, sum(working) OVER (ORDER BY day) AS n FROM calendar
),
deadlines AS (
    SELECT w.person_id, w.year, w.department, w.since, min(b.day) AS due
    FROM waiting AS w
    CROSS JOIN params AS q
    JOIN numbered AS a ON a.day = w.since
    JOIN numbered AS b ON b.working = 1 AND b.n = a.n + q.decision_days
    GROUP BY w.person_id, w.year, w.department, w.since
),
flagged AS (
    SELECT c.person_id, c.year, min(CAST(r.as_of AS DATE)) AS flagged_on
    FROM watch_changes AS c
    JOIN rule_runs AS r USING (run_id)
    SEMI JOIN in_region AS i ON i.person_id = c.person_id
    WHERE c.change = 'entered' AND c.year = (SELECT for_year FROM params)
    GROUP BY c.person_id, c.year
),
per_case AS (
    SELECT person_id, year, max(made_at) AS last_pushed_at FROM pushed GROUP BY person_id, year
),
per_decision AS (
    SELECT person_id, year, arg_max(decision, (decided_on, loaded_at)) AS decision,
           max(decided_on) AS decided_on
    FROM decided
    GROUP BY person_id, year
),
per_deadline AS (
    SELECT person_id, year, min(due) AS decision_due FROM deadlines GROUP BY person_id, year
),
year_oop AS (
    SELECT person_id, oop
    FROM person_year
    WHERE year = (SELECT for_year FROM params)
      AND starts_with(coalesce(village_code, ''), (SELECT region FROM params))
),
statuses AS (
    SELECT *
    FROM case_status
    WHERE year = (SELECT for_year FROM params)
      AND starts_with(coalesce(village_code, ''), (SELECT region FROM params))
),
cases AS (
    SELECT person_id, year FROM statuses
    UNION SELECT person_id, year FROM pushed
    UNION SELECT d.person_id, d.year FROM decided AS d SEMI JOIN in_region USING (person_id)
)
SELECT k.person_id, k.year, pe.name, coalesce(s.village_code, pe.village_code) AS village_code,
       vn.name AS village_name, pe.category, py.oop, s.severity,
       coalesce(s.on_watchlist, false) AS on_watchlist,
       coalesce(s.stage, 'flagged') AS stage, f.flagged_on, pc.last_pushed_at, pd.decision,
       pd.decided_on, dl.decision_due, coalesce(dl.decision_due < q.today, false)
           AS decision_overdue,
       CAST(s.first_exported_at AS DATE) AS exported_on,
       CASE WHEN s.stage = 'exported'
            THEN CAST(s.first_exported_at AS DATE) + q.visit_days END AS visit_due,
       coalesce(s.stage = 'exported'
                AND CAST(s.first_exported_at AS DATE) + q.visit_days < q.today, false)
           AS visit_overdue
FROM cases AS k
CROSS JOIN params AS q
LEFT JOIN statuses AS s USING (person_id, year)
LEFT JOIN in_region AS pe USING (person_id)
LEFT JOIN year_oop AS py USING (person_id)
LEFT JOIN flagged AS f USING (person_id, year)
LEFT JOIN per_case AS pc USING (person_id, year)
LEFT JOIN per_decision AS pd USING (person_id, year)
LEFT JOIN per_deadline AS dl USING (person_id, year)
LEFT JOIN region_names AS vn ON vn.code = coalesce(s.village_code, pe.village_code) AND vn.level = 5
WHERE starts_with(coalesce(s.village_code, pe.village_code, ''), q.region);
