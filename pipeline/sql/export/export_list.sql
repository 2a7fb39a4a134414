-- reads: watchlist, rule_runs, claims_effective, person_keys, region_names, people, assist_replay
-- The rows of one export, kept as the connection's temp table export_list (counts.sql and
-- new_since.sql read it): the latest rule run's watch-list filtered, with the case key
-- ({year}-{the person's key in person_keys}), the ID
-- to show (masked unless full_ids), village, county and township names, the person's last
-- claim of the year (hospital, diagnosis), the head of the household's name (a caseworker asks
-- for them at the door), the roster's phone number, if any, and the medical-assistance replay's
-- owed, paid and short for the person-year. A NULL filter list means no filter.
-- Parameters: year, region prefix, rules[], severities[], statuses[], categories[], full_ids.
CREATE OR REPLACE TEMP TABLE export_list AS
WITH params AS (
    SELECT ?::INTEGER AS year, ?::VARCHAR AS region, ?::VARCHAR[] AS rules,
           ?::VARCHAR[] AS severities, ?::VARCHAR[] AS statuses, ?::VARCHAR[] AS categories,
           ?::BOOLEAN AS full_ids
),
listed AS (
    SELECT w.*
    FROM watchlist AS w
    CROSS JOIN params AS p
    WHERE w.year = p.year
      AND starts_with(coalesce(w.village_code, ''), p.region)
      AND (p.rules IS NULL OR list_has_any(string_split(w.rules, ';'), p.rules))
      AND (p.severities IS NULL OR list_contains(p.severities, w.severity))
      AND (p.statuses IS NULL OR list_contains(p.statuses, w.status))
      AND (p.categories IS NULL OR list_contains(p.categories, w.category))
),
last_claim AS (
    SELECT c.person_id,
           arg_max(c.hospital, (c.settle_date, c.claim_id)) AS hospital,
           arg_max(c.diagnosis, (c.settle_date, c.claim_id)) AS diagnosis,
           max(c.settle_date) AS settle_date
    FROM claims_effective AS c
    SEMI JOIN listed AS l ON l.person_id = c.person_id
    WHERE c.settle_date >= make_date((SELECT year FROM params), 1, 1)
      AND c.settle_date < make_date((SELECT year FROM params) + 1, 1, 1)
    GROUP BY c.person_id
),
heads AS (
    SELECT household_id, min(name) AS householder
    FROM people
    WHERE relation IN ('户主', '本人') AND household_id IN (SELECT household_id FROM listed)
    GROUP BY household_id
)
SELECT l.year || '-' || k.token AS case_key,
       l.person_id,
       CASE WHEN p.full_ids THEN l.person_id
            WHEN length(l.person_id) <= 8 THEN repeat('*', length(l.person_id))
            ELSE left(l.person_id, 4) || repeat('*', length(l.person_id) - 8)
                 || right(l.person_id, 4)
       END AS shown_id,
       l.name, l.household_id, l.village_code,
       coalesce(vn.name, l.village_code) AS village_name,
       l.category, l.oop, l.threshold, l.severity, l.rules, l.explain_zh, l.explain_en,
       -- in data terms: the data's date of the run that first listed the person, and calendar
       -- weeks from it to the current run's data date (three imports in an afternoon are one)
       l.status, coalesce(since.as_of, CAST(l.first_flagged AS DATE)) AS first_flagged,
       CAST(coalesce(date_diff('day', since.as_of, now_run.as_of) // 7 + 1, l.weeks_on_list)
            AS BIGINT) AS weeks_on_list,
       lc.hospital AS last_hospital, lc.diagnosis AS last_diagnosis,
       substr(l.village_code, 1, 6) AS county_code, cn.name AS county_name,
       substr(l.village_code, 1, 9) AS township_code, tn.name AS township_name,
       h.householder, pe.phone,
       ar.entitled AS assist_entitled, ar.paid AS assist_paid, ar.shortfall AS assist_shortfall,
       l.year,
       CASE l.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END AS severity_rank
FROM listed AS l
CROSS JOIN params AS p
LEFT JOIN last_claim AS lc USING (person_id)
LEFT JOIN heads AS h ON h.household_id = l.household_id
LEFT JOIN people AS pe ON pe.person_id = l.person_id
LEFT JOIN person_keys AS k USING (person_id)
LEFT JOIN assist_replay AS ar ON ar.person_id = l.person_id AND ar.year = l.year
LEFT JOIN rule_runs AS since ON since.run_id = l.run_id - l.weeks_on_list + 1
LEFT JOIN rule_runs AS now_run ON now_run.run_id = l.run_id
LEFT JOIN region_names AS vn ON vn.code = l.village_code AND vn.level = 5
LEFT JOIN region_names AS cn ON cn.code = substr(l.village_code, 1, 6) AND cn.level = 3
LEFT JOIN region_names AS tn ON tn.code = substr(l.village_code, 1, 9) AND tn.level = 4;
