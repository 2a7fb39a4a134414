-- reads: rule_scope_people, person_year, enrolment_rows, township_rules
-- Kind no_active_enrolment: a roster person with no active enrolment for a year the enrolment
-- extracts cover (suspended, ended, or no row at all).
INSERT INTO fired
WITH covered AS (SELECT DISTINCT year FROM enrolment_rows),
people_years AS (
    SELECT p.person_id, y.year, coalesce(py.oop, 0) AS oop,
           coalesce(py.enrolled_active, false) AS active,
           substr(p.village_code, 1, 9) AS township_code
    FROM rule_scope_people AS p
    CROSS JOIN covered AS y
    LEFT JOIN person_year AS py ON py.person_id = p.person_id AND py.year = y.year
    WHERE p.on_roster
)
SELECT x.person_id, x.year, r.rule_id, r.version, x.oop, NULL, r.severity, NULL, NULL,
       render(r.explain_zh, x.year, x.oop, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       render(r.explain_en, x.year, x.oop, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       x.oop
FROM people_years AS x
JOIN township_rules AS r ON r.township_code = coalesce(x.township_code, '')
WHERE r.kind = 'no_active_enrolment' AND r.enabled
  AND x.year BETWEEN r.effective_from AND r.effective_to AND NOT x.active;
