-- reads: claims_in_force, people, mart_person_year
-- Per known person and year, nationally: the fund layers and OOP of their claims in force in
-- every province (a person treated in two provinces is one person here), how many provinces
-- settled them, the in-scope cost, inpatient claims and last settlement (the person page's),
-- and whether any province has them actively enrolled. DECIMAL(14,2) amounts; the division
-- codes of every level, as a store's person_year (the rule files read them).
WITH province_years AS (
    -- per province first, then per person: count(DISTINCT province) in one aggregate could not
    -- spill, and ran out of memory at 5 provinces x 1M people (48.7M claims, 1.3 GB)
    SELECT person_id, year, province,
           sum(total_cost) AS total_cost, sum(basic_paid) AS basic_paid,
           sum(critical_paid) AS critical_paid, sum(assistance_paid) AS assistance_paid,
           sum(other_paid) AS other_paid, sum(in_scope_cost) AS in_scope_cost,
           count(*) AS claims,
           count(*) FILTER (WHERE visit_type = 'inpatient') AS inpatient_claims,
           max(settle_date) AS last_settle_date
    FROM claims_in_force
    GROUP BY person_id, year, province
),
claim_years AS (
    SELECT person_id, year,
           sum(total_cost) AS total_cost, sum(basic_paid) AS basic_paid,
           sum(critical_paid) AS critical_paid, sum(assistance_paid) AS assistance_paid,
           sum(other_paid) AS other_paid, sum(in_scope_cost) AS in_scope_cost,
           sum(claims) AS claims, sum(inpatient_claims) AS inpatient_claims,
           max(last_settle_date) AS last_settle_date, count(*) AS provinces
    FROM province_years
    GROUP BY person_id, year
),
enrolled AS (
    SELECT person_id, year, bool_or(enrolled_active) AS enrolled_active
    FROM mart_person_year
    GROUP BY person_id, year
),
person_years AS (
    SELECT person_id, year FROM claim_years
    UNION
    SELECT person_id, year FROM enrolled
)
SELECT k.person_id, CAST(k.year AS INTEGER) AS year, p.home_province, p.name, p.household_id,
       p.village_code, p.category, p.on_roster,
       CAST(coalesce(c.total_cost, 0) AS DECIMAL(14,2)) AS total_cost,
       CAST(coalesce(c.basic_paid, 0) AS DECIMAL(14,2)) AS basic_paid,
       CAST(coalesce(c.critical_paid, 0) AS DECIMAL(14,2)) AS critical_paid,
       CAST(coalesce(c.assistance_paid, 0) AS DECIMAL(14,2)) AS assistance_paid,
       CAST(coalesce(c.other_paid, 0) AS DECIMAL(14,2)) AS other_paid,
       CAST(coalesce(c.total_cost, 0) - coalesce(c.basic_paid, 0) - coalesce(c.critical_paid, 0)
            - coalesce(c.assistance_paid, 0) - coalesce(c.other_paid, 0) AS DECIMAL(14,2)) AS oop,
       CAST(c.in_scope_cost AS DECIMAL(14,2)) AS in_scope_cost,
       CAST(coalesce(c.claims, 0) AS BIGINT) AS claims,
       CAST(coalesce(c.inpatient_claims, 0) AS BIGINT) AS inpatient_claims,
       c.last_settle_date,
       CAST(coalesce(c.provinces, 0) AS BIGINT) AS provinces,
       coalesce(e.enrolled_active, false) AS enrolled_active,
       substr(p.village_code, 1, 2) AS province_code, substr(p.village_code, 1, 4) AS city_code,
       substr(p.village_code, 1, 6) AS county_code, substr(p.village_code, 1, 9) AS township_code
FROM person_years AS k
JOIN people AS p ON p.person_id = k.person_id
LEFT JOIN claim_years AS c ON c.person_id = k.person_id AND c.year = k.year
LEFT JOIN enrolled AS e ON e.person_id = k.person_id AND e.year = k.year
