-- Claims whose person no roster or enrolment names yet: kept, counted, and counted for the
-- person as soon as a later import names them (person_year is rebuilt from claims each time).
-- A table, built once per import: the data-quality page reads it on every view.
CREATE OR REPLACE TABLE unmatched_claims AS
SELECT c.*
FROM claims_effective AS c
WHERE NOT EXISTS (SELECT 1 FROM people AS p WHERE p.person_id = c.person_id);
