-- One evaluation run: every rule that fired → flags; one row per person-year → watch_runs, with
-- severity, status new/continuing, first_flagged and weeks on the list; entered/left → watch_changes.
-- eval_params holds run_id, import_id, evaluated_at, as_of.

INSERT INTO flags
SELECT (SELECT run_id FROM eval_params), person_id, year, rule_id, oop, threshold, severity,
       note_zh, note_en, explain_zh, explain_en
FROM fired
UNION ALL
-- After a weekly import, the people it could not change keep the previous run's flags
-- (rules/scope.sql); rule_scope is empty and rules_incremental false otherwise.
SELECT f.* REPLACE ((SELECT run_id FROM eval_params) AS run_id)
FROM flags AS f
ANTI JOIN rule_scope AS s USING (person_id)
WHERE getvariable('rules_incremental') AND f.run_id = getvariable('previous_run');

CREATE OR REPLACE TEMP TABLE previous_watch AS
SELECT * FROM watch_runs
WHERE run_id = (SELECT max(run_id) FROM watch_runs
                WHERE run_id < (SELECT run_id FROM eval_params));

INSERT INTO watch_runs
WITH per_person AS (
    -- The rules that fired, in their order (version): an unordered list, sorted per person.
    -- Ordered aggregates (string_agg … ORDER BY version) took 2.1 s for 245k people at 1M.
    SELECT person_id, year,
           list_sort(list({'version': version, 'rule_id': rule_id, 'zh': explain_zh,
                           'en': explain_en})) AS fired_rules,
           max(oop) AS oop,
           arg_min(threshold, version) FILTER (WHERE threshold IS NOT NULL) AS threshold,
           max(severity_rank(severity)) AS base_rank,
           bool_or(threshold IS NOT NULL AND threshold > 0
                   AND oop >= threshold * (SELECT ratio_to_raise FROM severity_policy))
               AS far_over,
           count(*) AS n_rules
    FROM fired
    GROUP BY person_id, year
),
ranked AS (
    SELECT pp.* EXCLUDE (fired_rules),
           array_to_string(list_transform(pp.fired_rules, lambda f: f.rule_id), ';') AS rules,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.zh), '；') AS explain_zh,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.en), '; ') AS explain_en,
           p.name, p.household_id, p.village_code, p.category,
           least(3, pp.base_rank
                    + CASE WHEN pp.far_over THEN 1 ELSE 0 END
                    + CASE WHEN list_contains(sp.categories, p.category) THEN 1 ELSE 0 END
                    + CASE WHEN pp.n_rules >= sp.rules_to_raise THEN 1 ELSE 0 END) AS rank
    FROM per_person AS pp
    CROSS JOIN severity_policy AS sp
    LEFT JOIN people AS p USING (person_id)
)
SELECT (SELECT run_id FROM eval_params), r.person_id, r.year, r.rules, r.oop, r.threshold,
       CASE r.rank WHEN 1 THEN 'low' WHEN 2 THEN 'medium' ELSE 'high' END,
       CASE WHEN prev.person_id IS NULL THEN 'new' ELSE 'continuing' END,
       CASE WHEN prev.person_id IS NULL THEN (SELECT evaluated_at FROM eval_params)
            ELSE prev.first_flagged END,
       coalesce(prev.weeks_on_list, 0) + 1,
       r.explain_zh, r.explain_en,
       r.name, r.household_id, r.village_code, r.category  -- people joined once, in ranked
FROM ranked AS r
LEFT JOIN previous_watch AS prev USING (person_id, year)
UNION ALL
-- The people a weekly import could not change stay as they were, one more week on the list.
SELECT p.* REPLACE ((SELECT run_id FROM eval_params) AS run_id, 'continuing' AS status,
                    p.weeks_on_list + 1 AS weeks_on_list)
FROM previous_watch AS p
ANTI JOIN rule_scope AS s USING (person_id)
WHERE getvariable('rules_incremental')
ORDER BY person_id, year;

-- Movement since the previous run. Why someone left: their OOP fell because a claim of theirs
-- was reversed in this import, or a correction in this import raised its medical assistance, or
-- it fell otherwise; or, OOP unchanged, the rules changed (fingerprint) or other data did
-- (category, enrolment, income).
INSERT INTO watch_changes
WITH current AS (SELECT * FROM watch_runs WHERE run_id = (SELECT run_id FROM eval_params)),
this_import AS (
    SELECT file_id FROM import_files WHERE import_id = (SELECT import_id FROM eval_params)
),
-- Claim rows of this import in force, then the claims they reverse or correct: only this
-- import's rows are read whole (the claim_rows view over every claim cost 0.8 s at 10M).
import_rows AS (
    SELECT l.*
    FROM claim_log AS l
    ANTI JOIN claim_rows_superseded AS s ON s.file_id = l.file_id AND s.line = l.line
    WHERE l.file_id IN (SELECT file_id FROM this_import)
),
reversed_people AS (
    SELECT DISTINCT target.person_id
    FROM (SELECT * FROM claim_log
          WHERE claim_id IN (SELECT reverses FROM import_rows WHERE reverses IS NOT NULL)) AS target
    ANTI JOIN claim_rows_superseded AS s ON s.file_id = target.file_id AND s.line = target.line
),
assisted_people AS (
    SELECT DISTINCT new.person_id
    FROM claim_rows_superseded AS old
    JOIN import_rows AS new USING (claim_id)
    WHERE old.superseded_by_file_id IN (SELECT file_id FROM this_import)
      AND new.assistance_paid > old.assistance_paid
),
fingerprints AS (
    SELECT (SELECT fingerprint FROM eval_params) AS now,
           (SELECT fingerprint FROM rule_runs
            WHERE run_id = (SELECT max(run_id) FROM previous_watch)) AS before
)
SELECT (SELECT run_id FROM eval_params), c.person_id, c.year, 'entered', NULL, NULL, NULL, c.oop
FROM current AS c
WHERE c.status = 'new'
UNION ALL
SELECT (SELECT run_id FROM eval_params), p.person_id, p.year, 'left',
       CASE
           WHEN pe.person_id IS NULL THEN 'no_longer_known'
           WHEN coalesce(py.oop, 0) < p.oop
                AND p.person_id IN (SELECT person_id FROM reversed_people) THEN 'reversal'
           WHEN coalesce(py.oop, 0) < p.oop
                AND p.person_id IN (SELECT person_id FROM assisted_people)
               THEN 'assistance_paid_later'
           WHEN coalesce(py.oop, 0) < p.oop THEN 'oop_decreased'
           WHEN f.now IS DISTINCT FROM f.before THEN 'rule_change'
           ELSE 'data_change'
       END,
       p.rules, p.oop, CASE WHEN pe.person_id IS NOT NULL THEN coalesce(py.oop, 0) END
FROM previous_watch AS p
CROSS JOIN fingerprints AS f
LEFT JOIN current AS c USING (person_id, year)
LEFT JOIN person_year AS py USING (person_id, year)
LEFT JOIN people AS pe USING (person_id)
WHERE c.person_id IS NULL;
