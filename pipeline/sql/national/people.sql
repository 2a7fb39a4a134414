-- reads: mart_person_year, raw_roster
-- Who each person is, nationally: their row of the provinces' person_year marts, the one of a
-- province whose roster lists them first, then the latest year, then the lowest province code;
-- home_province is that province. The household's income, the relation to its head, the
-- village's name, the risk cause and the phone are that province's latest roster row's (as a
-- store's people): the household rule kinds and the dashboard's person page read them.
WITH ranked AS (
    SELECT person_id, province AS home_province, name, household_id, village_code, category,
           on_roster,
           row_number() OVER (
               PARTITION BY person_id ORDER BY on_roster DESC, year DESC, province
           ) AS pick
    FROM mart_person_year
),
roster_latest AS (
    SELECT province, person_id, household_income, relation, village_name, risk_cause, phone,
           row_number() OVER (PARTITION BY province, person_id ORDER BY file_id DESC, line DESC)
               AS version
    FROM raw_roster
)
SELECT p.person_id, p.home_province, p.name, p.household_id, p.village_code, p.category,
       p.on_roster, r.household_income, r.relation, r.village_name, r.risk_cause, r.phone
FROM ranked AS p
LEFT JOIN roster_latest AS r
    ON r.province = p.home_province AND r.person_id = p.person_id AND r.version = 1
WHERE p.pick = 1
