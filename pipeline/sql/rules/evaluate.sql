-- reads: eval_params, rule_scope, people, codes, person_year, flag_entries, watch_entries, rule_runs, import_files, claim_log, claim_rows_superseded
-- One evaluation run: the rules that fired (`fired`) → flag_entries; one entry per flagged
-- person-year → watch_entries, with severity, since when it is on the list and its
-- explanation; entered/left → watch_changes. eval_params holds run_id, import_id, evaluated_at,
-- as_of, fingerprint. Only what changed is written: an entry whose content is the same as the
-- previous run's holds on (schema.sql). The people this run decides are everyone, or after a
-- weekly import those of rule_scope (rules/rule_scope.sql): everyone else's entries hold.

-- Before and now are compared on narrow rows: the key and one 64-bit hash of the content (the
-- figures and the explanations). Compared whole, the explanations were held in hash tables on
-- both sides, and a weekly import at 10M people touching 1M of them ran out of memory here.
CREATE OR REPLACE TEMP MACRO flag_content(oop, threshold, severity, note_zh, note_en, explain_zh,
                                          explain_en, compared) AS
    hash(oop, threshold, severity, note_zh, note_en, explain_zh, explain_en, compared);

-- The entries that hold now (the previous run's) of the people this run decides.
CREATE OR REPLACE TEMP TABLE flags_before AS
SELECT person_id, year, rule_id,
       flag_content(oop, threshold, severity, note_zh, note_en, explain_zh, explain_en,
                    compared_oop) AS content
FROM flag_entries
WHERE to_run IS NULL
  AND (NOT getvariable('rules_incremental') OR person_id IN (SELECT person_id FROM rule_scope));

-- (narrow, so a table: read twice below)
CREATE OR REPLACE TEMP TABLE flags_now AS
SELECT person_id, year, rule_id,
       flag_content(oop, threshold, severity, note_zh, note_en, explain_zh, explain_en,
                    compared) AS content
FROM fired;

-- Ended (the rule no longer fires, or fires with other figures or words), then opened.
UPDATE flag_entries AS f SET to_run = (SELECT run_id FROM eval_params)
FROM (SELECT * FROM flags_before EXCEPT SELECT * FROM flags_now) AS gone
WHERE f.to_run IS NULL
  AND f.person_id = gone.person_id AND f.year = gone.year AND f.rule_id = gone.rule_id;

INSERT INTO flag_entries
SELECT DISTINCT person_id, year, rule_id, (SELECT run_id FROM eval_params), NULL, oop, threshold,
       severity, note_zh, note_en, explain_zh, explain_en, compared
FROM (SELECT *, flag_content(oop, threshold, severity, note_zh, note_en, explain_zh, explain_en,
                             compared) AS content
      FROM fired) AS f
SEMI JOIN (SELECT * FROM flags_now EXCEPT SELECT * FROM flags_before) AS opened
    USING (person_id, year, rule_id, content)
ORDER BY person_id, year, rule_id;

-- The list's entries the same way: one per person-year, before and now, the content hashed.
CREATE OR REPLACE TEMP MACRO watch_content(rules, oop, threshold, severity, explain_zh,
                                           explain_en, name, household_id, village_code,
                                           category, threshold_rule, compared_oop) AS
    hash(rules, oop, threshold, severity, explain_zh, explain_en, name, household_id,
         village_code, category, threshold_rule, compared_oop);

CREATE OR REPLACE TEMP TABLE watch_before AS
SELECT person_id, year, rules, oop, since_run, first_flagged,
       watch_content(rules, oop, threshold, severity, explain_zh, explain_en, name, household_id,
                     village_code, category, threshold_rule, compared_oop) AS content
FROM watch_entries
WHERE to_run IS NULL
  AND (NOT getvariable('rules_incremental') OR person_id IN (SELECT person_id FROM rule_scope));

CREATE OR REPLACE TEMP TABLE watch_now AS
SELECT *, watch_content(rules, oop, threshold, severity, explain_zh, explain_en, name, household_id,
                        village_code, category, threshold_rule, compared_oop) AS content
FROM (
WITH per_person AS (
    -- The rules that fired, in their order (version): an unordered list, sorted per person.
    -- Ordered aggregates (string_agg … ORDER BY version) took 2.1 s for 245k people at 1M.
    SELECT person_id, year,
           list_sort(list({'version': version, 'rule_id': rule_id, 'zh': explain_zh,
                           'en': explain_en})) AS fired_rules,
           max(oop) AS oop,
           -- the first rule's (by version) threshold, the rule it belongs to and what it is
           -- compared with (a household_burden line is the household's, beside its OOP)
           arg_min({'threshold': threshold, 'rule_id': rule_id, 'compared': compared}, version)
               FILTER (WHERE threshold IS NOT NULL) AS line,
           max(severity_rank(severity)) AS base_rank,
           bool_or(threshold IS NOT NULL AND threshold > 0
                   AND compared >= threshold * (SELECT ratio_to_raise FROM severity_policy))
               AS far_over,
           count(*) AS n_rules
    FROM fired
    GROUP BY person_id, year
),
ranked AS (
    SELECT pp.* EXCLUDE (fired_rules, line), pp.line.threshold AS threshold,
           pp.line.rule_id AS threshold_rule, pp.line.compared AS compared_oop,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.rule_id), ';') AS rules,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.zh), '；') AS explain_zh,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.en), '; ') AS explain_en,
           p.name, p.household_id, p.village_code, p.category,
           list_contains(sp.categories, p.category) AS by_category,
           pp.n_rules >= sp.rules_to_raise AS by_rules,
           least(3, pp.base_rank
                    + CASE WHEN pp.far_over THEN 1 ELSE 0 END
                    + CASE WHEN list_contains(sp.categories, p.category) THEN 1 ELSE 0 END
                    + CASE WHEN pp.n_rules >= sp.rules_to_raise THEN 1 ELSE 0 END) AS rank
    FROM per_person AS pp
    CROSS JOIN severity_policy AS sp
    -- people joined once, narrowed to those with a rule fired first (a hash table on every
    -- person ran out of memory under 140 MB at 1M people)
    LEFT JOIN (SELECT * FROM people
               SEMI JOIN (SELECT person_id FROM fired) AS f USING (person_id)) AS p
        USING (person_id)
)
-- A severity above the highest of the rules that fired says why, after the rules' explanations
-- (a person 高 whose rules each say 中 read as an error): "风险等级 中 → 高：低保对象；同时触发
-- 2 条规则".
SELECT r.person_id, r.year, r.rules, r.oop, r.threshold,
       CASE r.rank WHEN 1 THEN 'low' WHEN 2 THEN 'medium' ELSE 'high' END AS severity,
       r.explain_zh || CASE WHEN r.rank > r.base_rank THEN
           '；风险等级 ' || ['低', '中', '高'][r.base_rank] || ' → ' || ['低', '中', '高'][r.rank]
           || '：' || concat_ws('；',
               CASE WHEN r.far_over THEN '负担达到预警线的 '
                    || (SELECT ratio_to_raise FROM severity_policy) || ' 倍' END,
               CASE WHEN r.by_category THEN coalesce(c.label_zh, r.category) END,
               CASE WHEN r.by_rules THEN '同时触发 ' || r.n_rules || ' 条规则' END)
           ELSE '' END AS explain_zh,
       r.explain_en || CASE WHEN r.rank > r.base_rank THEN
           '; severity ' || ['low', 'medium', 'high'][r.base_rank] || ' -> '
           || ['low', 'medium', 'high'][r.rank] || ': ' || concat_ws('; ',
               CASE WHEN r.far_over THEN 'burden at least '
                    || (SELECT ratio_to_raise FROM severity_policy) || ' times the line' END,
               CASE WHEN r.by_category THEN coalesce(c.label_en, r.category) END,
               CASE WHEN r.by_rules THEN r.n_rules || ' rules at once' END)
           ELSE '' END AS explain_en,
       r.name, r.household_id, r.village_code, r.category, r.threshold_rule, r.compared_oop
FROM ranked AS r
LEFT JOIN codes AS c ON c.domain = 'category' AND c.code = r.category
) AS listed;

-- (person_id, year) is one row on each side: an anti join on it and the content is the EXCEPT
CREATE OR REPLACE TEMP TABLE watch_opened AS
SELECT n.* EXCLUDE (content) FROM watch_now AS n
ANTI JOIN watch_before AS b
    ON b.person_id = n.person_id AND b.year = n.year AND b.content = n.content;

UPDATE watch_entries AS w SET to_run = (SELECT run_id FROM eval_params)
FROM (SELECT b.person_id, b.year FROM watch_before AS b
      ANTI JOIN watch_now AS n
          ON n.person_id = b.person_id AND n.year = b.year AND n.content = b.content) AS gone
WHERE w.to_run IS NULL AND w.person_id = gone.person_id AND w.year = gone.year;

-- A person-year on the list in the previous run stays on it since then (continuing).
INSERT INTO watch_entries
SELECT o.person_id, o.year, e.run_id, NULL, coalesce(b.since_run, e.run_id), o.rules, o.oop,
       o.threshold, o.severity, coalesce(b.first_flagged, e.evaluated_at), o.explain_zh,
       o.explain_en, o.name, o.household_id, o.village_code, o.category, o.threshold_rule,
       o.compared_oop
FROM watch_opened AS o
CROSS JOIN eval_params AS e
LEFT JOIN watch_before AS b USING (person_id, year)
ORDER BY o.person_id, o.year;

-- Movement since the previous run. Why someone left: their OOP fell because a claim of theirs
-- was reversed in this import, or a correction in this import raised its medical assistance, or
-- it fell otherwise; or, OOP unchanged, the rules changed (fingerprint) or other data did
-- (category, enrolment, income).
INSERT INTO watch_changes
WITH this_import AS (
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
            WHERE run_id = (SELECT run_id - 1 FROM eval_params)) AS before
)
SELECT (SELECT run_id FROM eval_params), o.person_id, o.year, 'entered', NULL, NULL, NULL, o.oop
FROM watch_opened AS o
ANTI JOIN watch_before AS b USING (person_id, year)
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
FROM watch_before AS p
CROSS JOIN fingerprints AS f
LEFT JOIN watch_now AS c USING (person_id, year)
LEFT JOIN person_year AS py USING (person_id, year)
LEFT JOIN people AS pe USING (person_id)
WHERE c.person_id IS NULL;

DROP TABLE flags_before;
DROP TABLE flags_now;
DROP TABLE watch_before;
DROP TABLE watch_now;
DROP TABLE watch_opened;
