-- reads: eval_params, rule_scope, people, codes, person_year, flag_entries, watch_entries, rule_runs, import_files, claim_log, claim_rows_superseded, watch_listed
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
FROM watch_listed;  -- rules/watch_listed.sql: the list's rows, one per flagged person-year

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
