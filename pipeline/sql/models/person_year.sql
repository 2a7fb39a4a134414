-- reads: mart_person_year
CREATE OR REPLACE VIEW person_year AS
SELECT person_id, year, name, household_id, village_code, category,
       total_cost, basic_paid, critical_paid, assistance_paid, other_paid, oop,
       claims, inpatient_claims, in_scope_cost, enrolled_active, on_roster,
       province_code, city_code, county_code, township_code
FROM mart_person_year;
