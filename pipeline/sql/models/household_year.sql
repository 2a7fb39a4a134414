-- reads: mart_person_year, people
-- Per household and year: members with a person-year, their OOP together, and the household's
-- income where the roster gives one. A household with no income figure has income_known = false:
-- it is counted and shown, never treated as zero income.
-- A build view over the scope (scope_*.sql: every household, or those an import touched).
CREATE OR REPLACE TEMP VIEW household_year_build AS
SELECT py.household_id,
       py.year,
       count(*) AS members,
       CAST(sum(py.oop) AS DECIMAL(14,2)) AS household_oop,
       max(p.household_income) AS household_income,
       max(p.household_income) IS NOT NULL AS income_known
FROM scope_person_year AS py
JOIN people AS p USING (person_id)
WHERE py.household_id IS NOT NULL
GROUP BY py.household_id, py.year;
