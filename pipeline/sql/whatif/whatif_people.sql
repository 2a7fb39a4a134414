-- reads: watchlist, fired, people, assist_replay, store_assist_replay
-- What-if (oopwatch whatif, the policy lab): every person-year of the year and region flagged
-- now (the latest run's watch-list) or under the alternative rules (the temp table `fired`
-- their rule kinds filled), with what the assistance policy owes now (store_assist_replay, the
-- store's) and under the alternative (the temp assist_replay its replay filled), and what
-- was paid. Parameters: year, region prefix.
CREATE OR REPLACE TEMP TABLE whatif_people AS
WITH params AS (SELECT ?::INTEGER AS year, ?::VARCHAR AS region),
now_list AS (
    SELECT w.person_id, w.year, w.rules
    FROM watchlist AS w, params AS p
    WHERE w.year = p.year
),
alt_list AS (
    SELECT f.person_id, f.year,
           array_to_string(list(f.rule_id ORDER BY f.version), ';') AS rules
    FROM fired AS f, params AS p
    WHERE f.year = p.year
    GROUP BY f.person_id, f.year
),
replay AS (
    SELECT coalesce(n.person_id, a.person_id) AS person_id,
           coalesce(n.year, a.year) AS year,
           n.entitled AS owed_now, a.entitled AS owed_alt, coalesce(n.paid, a.paid) AS paid
    FROM (SELECT * FROM store_assist_replay WHERE year = (SELECT year FROM params)) AS n
    FULL JOIN (SELECT * FROM assist_replay WHERE year = (SELECT year FROM params)) AS a
        USING (person_id, year)
),
everyone AS (
    SELECT person_id, year FROM now_list
    UNION SELECT person_id, year FROM alt_list
    UNION SELECT person_id, year FROM replay
)
SELECT e.person_id, e.year, pe.name, pe.village_code, pe.category,
       n.rules AS now_rules, a.rules AS alt_rules,
       n.person_id IS NOT NULL AS now_flagged, a.person_id IS NOT NULL AS alt_flagged,
       coalesce(r.owed_now, 0) AS owed_now, coalesce(r.owed_alt, 0) AS owed_alt,
       coalesce(r.paid, 0) AS paid
FROM everyone AS e
CROSS JOIN params AS p
LEFT JOIN people AS pe ON pe.person_id = e.person_id
LEFT JOIN now_list AS n ON n.person_id = e.person_id AND n.year = e.year
LEFT JOIN alt_list AS a ON a.person_id = e.person_id AND a.year = e.year
LEFT JOIN replay AS r ON r.person_id = e.person_id AND r.year = e.year
WHERE starts_with(coalesce(pe.village_code, ''), p.region);
