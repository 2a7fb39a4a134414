-- reads: person_year, mart_household_year
-- Per household and year, nationally: its members with a person-year, their national OOP
-- together, and the household's income where a province's roster gives one (income_known false
-- otherwise: counted and shown, never taken as zero income).
WITH incomes AS (
    SELECT household_id, year, max(household_income) AS household_income
    FROM mart_household_year
    GROUP BY household_id, year
)
SELECT p.household_id, p.year, CAST(count(*) AS BIGINT) AS members,
       CAST(sum(p.oop) AS DECIMAL(14,2)) AS household_oop,
       i.household_income, i.household_income IS NOT NULL AS income_known
FROM person_year AS p
LEFT JOIN incomes AS i ON i.household_id = p.household_id AND i.year = p.year
WHERE p.household_id IS NOT NULL
GROUP BY p.household_id, p.year, i.household_income
