-- reads: people, watch_changes, rule_runs, pushes, push_rows, decisions, case_events, region_names
-- The departmental funnel of a region and year, per child region (the first `level` digits of
-- the village code): person-years flagged (ever entered the list) → pushed (to either
-- department) → verified (a department's decision other than verifying) → included (a standing
-- decision of monitored, dibao or destitute) → assisted (a standing decision of assisted, or a
-- caseworker's assistance granted or paid), each counted wherever it got, and the median days
-- between consecutive steps (flag to push, push to decision, decision to inclusion, inclusion
-- or decision to assistance). Parameters: year, region prefix, level.
WITH params AS (
    SELECT ?::INTEGER AS year, ?::VARCHAR AS region, ?::INTEGER AS level
),
in_region AS (  -- the region's people (stored by place: a prefix reads few row groups)
    SELECT person_id, village_code
    FROM people
    WHERE starts_with(coalesce(village_code, ''), (SELECT region FROM params))
),
flagged AS (
    SELECT c.person_id, min(CAST(r.as_of AS DATE)) AS day
    FROM watch_changes AS c
    JOIN rule_runs AS r USING (run_id)
    SEMI JOIN in_region AS i ON i.person_id = c.person_id
    WHERE c.change = 'entered' AND c.year = (SELECT year FROM params)
    GROUP BY c.person_id
),
pushed AS (
    SELECT x.person_id, min(CAST(p.made_at AS DATE)) AS day
    FROM push_rows AS x
    JOIN pushes AS p USING (push_id)
    WHERE x.year = (SELECT year FROM params)
    GROUP BY x.person_id
),
verified AS (
    SELECT person_id, min(decided_on) AS day
    FROM decisions
    WHERE year = (SELECT year FROM params) AND decision <> 'verifying'
    GROUP BY person_id
),
included AS (
    SELECT person_id, min(decided_on) AS day
    FROM decisions
    WHERE year = (SELECT year FROM params) AND superseded_by IS NULL
      AND decision IN ('monitored', 'dibao', 'destitute')
    GROUP BY person_id
),
assisted AS (
    SELECT person_id, min(day) AS day
    FROM (
        SELECT person_id, decided_on AS day FROM decisions
        WHERE year = (SELECT year FROM params) AND superseded_by IS NULL AND decision = 'assisted'
        UNION ALL
        SELECT person_id, coalesce(visit_date, CAST(returned_at AS DATE)) FROM case_events
        WHERE year = (SELECT year FROM params) AND superseded_by IS NULL
          AND (outcome = 'assistance_granted' OR assistance > 0)
    )
    GROUP BY person_id
),
people_in AS (
    SELECT person_id FROM flagged UNION SELECT person_id FROM pushed
    UNION SELECT person_id FROM verified UNION SELECT person_id FROM assisted
),
steps AS (
    SELECT k.person_id, substr(coalesce(pe.village_code, ''), 1, q.level) AS region,
           f.day AS flagged_on, pu.day AS pushed_on, v.day AS verified_on, i.day AS included_on,
           a.day AS assisted_on
    FROM people_in AS k
    CROSS JOIN params AS q
    JOIN in_region AS pe USING (person_id)
    LEFT JOIN flagged AS f USING (person_id)
    LEFT JOIN pushed AS pu USING (person_id)
    LEFT JOIN verified AS v USING (person_id)
    LEFT JOIN included AS i USING (person_id)
    LEFT JOIN assisted AS a USING (person_id)
    WHERE starts_with(coalesce(pe.village_code, ''), q.region)
)
SELECT s.region, rn.name AS region_name,
       count(s.flagged_on) AS flagged,
       count(s.pushed_on) AS pushed,
       count(s.verified_on) AS verified,
       count(s.included_on) AS included,
       count(s.assisted_on) AS assisted,
       quantile_cont(s.pushed_on - s.flagged_on, 0.5) AS days_flag_to_push,
       quantile_cont(s.verified_on - s.pushed_on, 0.5) AS days_push_to_decision,
       quantile_cont(s.included_on - s.verified_on, 0.5) AS days_decision_to_inclusion,
       quantile_cont(s.assisted_on - coalesce(s.included_on, s.verified_on), 0.5)
           AS days_to_assistance
FROM steps AS s
LEFT JOIN region_names AS rn ON rn.code = s.region
GROUP BY s.region, rn.name
ORDER BY s.region;
