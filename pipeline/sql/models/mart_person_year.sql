-- reads: claims_effective, enrolment_rows, people
-- Per known person and calendar year with claims or enrolment: the fund layers and OOP.
-- OOP = total_cost - basic_paid - critical_paid - assistance_paid - other_paid, in DECIMAL(14,2).
-- A build view over the scope (scope_*.sql); pipeline/models/build.py writes it to the table mart_person_year
-- (the contract's view person_year, models/person_year.sql, reads that).
CREATE OR REPLACE TEMP VIEW mart_person_year_build AS
WITH claim_years AS (
    SELECT person_id, year,
           sum(total_cost) AS total_cost,
           sum(basic_paid) AS basic_paid,
           sum(critical_paid) AS critical_paid,
           sum(assistance_paid) AS assistance_paid,
           sum(other_paid) AS other_paid,
           sum(in_scope_cost) AS in_scope_cost,
           count(*) AS claims,
           count(*) FILTER (WHERE visit_type = 'inpatient') AS inpatient_claims,
           max(settle_date) AS last_settle_date
    FROM scope_claims
    GROUP BY person_id, year
),
enrolment_years AS (
    -- per person, year and scheme the latest row's status (arg_max_null: a latest row without
    -- a status counts as not active, as the row it is; a window numbering the rows cost 0.7 s
    -- at 1M people)
    SELECT person_id, year, bool_or(status = 'active') AS enrolled_active
    FROM (SELECT person_id, year, arg_max_null(status, (file_id, line)) AS status
          FROM scope_enrolment
          GROUP BY person_id, year, scheme)
    GROUP BY person_id, year
),
person_years AS (
    -- every person-year with claims or enrolment: one full join (a UNION of the keys and two
    -- joins back cost 1.6 s at 1M people)
    SELECT coalesce(c.person_id, e.person_id) AS person_id, coalesce(c.year, e.year) AS year,
           c.* EXCLUDE (person_id, year), e.enrolled_active
    FROM claim_years AS c
    FULL JOIN enrolment_years AS e ON e.person_id = c.person_id AND e.year = c.year
)
SELECT
    py.person_id,
    py.year,
    p.name,
    p.household_id,
    p.village_code,
    p.category,
    p.on_roster,
    CAST(coalesce(py.total_cost, 0) AS DECIMAL(14,2)) AS total_cost,
    CAST(coalesce(py.basic_paid, 0) AS DECIMAL(14,2)) AS basic_paid,
    CAST(coalesce(py.critical_paid, 0) AS DECIMAL(14,2)) AS critical_paid,
    CAST(coalesce(py.assistance_paid, 0) AS DECIMAL(14,2)) AS assistance_paid,
    CAST(coalesce(py.other_paid, 0) AS DECIMAL(14,2)) AS other_paid,
    CAST(coalesce(py.total_cost, 0) - coalesce(py.basic_paid, 0) - coalesce(py.critical_paid, 0)
         - coalesce(py.assistance_paid, 0) - coalesce(py.other_paid, 0) AS DECIMAL(14,2)) AS oop,
    CAST(py.in_scope_cost AS DECIMAL(14,2)) AS in_scope_cost,
    coalesce(py.claims, 0) AS claims,
    coalesce(py.inpatient_claims, 0) AS inpatient_claims,
    py.last_settle_date,
    coalesce(py.enrolled_active, false) AS enrolled_active,
    substr(p.village_code, 1, 2) AS province_code,
    substr(p.village_code, 1, 4) AS city_code,
    substr(p.village_code, 1, 6) AS county_code,
    substr(p.village_code, 1, 9) AS township_code
FROM person_years AS py
JOIN scope_people AS p USING (person_id);
