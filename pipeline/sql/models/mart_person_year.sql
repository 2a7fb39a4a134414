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
enrolment_latest AS (
    SELECT person_id, year, status
    FROM scope_enrolment
    QUALIFY row_number() OVER (PARTITION BY person_id, year, scheme
                               ORDER BY file_id DESC, line DESC) = 1
),
enrolment_years AS (
    SELECT person_id, year, bool_or(status = 'active') AS enrolled_active
    FROM enrolment_latest
    GROUP BY person_id, year
),
person_years AS (
    SELECT person_id, year FROM claim_years
    UNION
    SELECT person_id, year FROM enrolment_years
)
SELECT
    py.person_id,
    py.year,
    p.name,
    p.household_id,
    p.village_code,
    p.category,
    p.on_roster,
    CAST(coalesce(c.total_cost, 0) AS DECIMAL(14,2)) AS total_cost,
    CAST(coalesce(c.basic_paid, 0) AS DECIMAL(14,2)) AS basic_paid,
    CAST(coalesce(c.critical_paid, 0) AS DECIMAL(14,2)) AS critical_paid,
    CAST(coalesce(c.assistance_paid, 0) AS DECIMAL(14,2)) AS assistance_paid,
    CAST(coalesce(c.other_paid, 0) AS DECIMAL(14,2)) AS other_paid,
    CAST(coalesce(c.total_cost, 0) - coalesce(c.basic_paid, 0) - coalesce(c.critical_paid, 0)
         - coalesce(c.assistance_paid, 0) - coalesce(c.other_paid, 0) AS DECIMAL(14,2)) AS oop,
    CAST(c.in_scope_cost AS DECIMAL(14,2)) AS in_scope_cost,
    coalesce(c.claims, 0) AS claims,
    coalesce(c.inpatient_claims, 0) AS inpatient_claims,
    c.last_settle_date,
    coalesce(e.enrolled_active, false) AS enrolled_active,
    substr(p.village_code, 1, 2) AS province_code,
    substr(p.village_code, 1, 4) AS city_code,
    substr(p.village_code, 1, 6) AS county_code,
    substr(p.village_code, 1, 9) AS township_code
FROM person_years AS py
JOIN scope_people AS p USING (person_id)
LEFT JOIN claim_years AS c USING (person_id, year)
LEFT JOIN enrolment_years AS e USING (person_id, year);
