-- reads: mart_person_year
-- Who each person is, nationally: their row of the provinces' person_year marts, the one of a
-- province whose roster lists them first, then the latest year, then the lowest province code;
-- home_province is that province.
WITH ranked AS (
    SELECT person_id, province AS home_province, name, household_id, village_code, category,
           on_roster,
           row_number() OVER (
               PARTITION BY person_id ORDER BY on_roster DESC, year DESC, province
           ) AS pick
    FROM mart_person_year
)
SELECT person_id, home_province, name, household_id, village_code, category, on_roster
FROM ranked
WHERE pick = 1
