-- reads: export_list, person_year, township_income, push_warnings, pushes, push_rows
-- The rows of one push, kept as the connection's temp table push_list: the export's rows
-- (export_list: the latest rule run's watch-list of the region and year, names, masked IDs)
-- whose category has a warning type (push_warnings, from rules/push.toml) and whose annual OOP
-- is strictly over that warning's share of the reference rural income (township_income, as the
-- oop_income rule), with the assistance already paid and the replay's shortfall. `change`
-- compares each row with the person-year's latest row pushed before to the same department,
-- region and year: new (never pushed), changed (warning type, category, rules or severity
-- differ) or same. Rows left out are kept too, with why (`left_out`: no_warning, no_income,
-- under_line) so the push can say how many listed people it did not carry.
-- Parameters: department, region, year.
CREATE OR REPLACE TEMP TABLE push_list AS
WITH params AS (
    SELECT ?::VARCHAR AS department, ?::VARCHAR AS region, ?::INTEGER AS year
),
warned AS (
    SELECT l.*, coalesce(py.assistance_paid, 0) AS assistance_paid, w.type AS warning_type,
           w.share, i.yuan AS income,
           CAST(round(w.share * i.yuan, 2) AS DECIMAL(14,2)) AS line
    FROM export_list AS l
    -- (someone listed with no claims or enrolment that year, coverage_gap, has no person_year)
    LEFT JOIN person_year AS py USING (person_id, year)
    LEFT JOIN push_warnings AS w ON list_contains(w.categories, l.category)
    LEFT JOIN township_income AS i
        ON i.township_code = coalesce(py.township_code, l.township_code, '')
       AND i.year = l.year
),
earlier AS (
    SELECT r.person_id, r.year,
           arg_max(r.warning_type, (p.made_at, r.row_no)) AS warning_type,
           arg_max(r.category, (p.made_at, r.row_no)) AS category,
           arg_max(r.rules, (p.made_at, r.row_no)) AS rules,
           arg_max(r.severity, (p.made_at, r.row_no)) AS severity
    FROM push_rows AS r
    JOIN pushes AS p USING (push_id)
    CROSS JOIN params AS q
    WHERE p.department = q.department AND p.region = q.region AND p.year = q.year
    GROUP BY r.person_id, r.year
)
SELECT w.*,
       CASE WHEN w.warning_type IS NULL THEN 'no_warning'
            WHEN w.income IS NULL THEN 'no_income'
            WHEN w.oop <= w.line THEN 'under_line' END AS left_out,
       CASE WHEN e.person_id IS NULL THEN 'new'
            WHEN e.warning_type IS DISTINCT FROM w.warning_type
                 OR e.category IS DISTINCT FROM w.category
                 OR e.rules IS DISTINCT FROM w.rules
                 OR e.severity IS DISTINCT FROM w.severity THEN 'changed'
            ELSE 'same' END AS change
FROM warned AS w
LEFT JOIN earlier AS e USING (person_id, year);
