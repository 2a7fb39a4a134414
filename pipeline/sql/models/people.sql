-- reads: roster_rows, enrolment_rows
-- One row per known person: their latest roster row (by import order), or, for a person only an
-- enrolment names, the latest name/household/village it gave, as category `general`.
-- A build view over the scope (scope_*.sql: every row, or the people an import touched);
-- pipeline/models/build.py writes it to the table `people`, stored by place (village, household,
-- person): a village's or household's people are then a few row groups, not a scan.
CREATE OR REPLACE TEMP VIEW people_build AS
WITH roster_latest AS (
    SELECT *
    FROM scope_roster
    QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY file_id DESC, line DESC) = 1
),
enrolment_only AS (
    SELECT person_id,
           last(name ORDER BY file_id, line) FILTER (WHERE name IS NOT NULL) AS name,
           last(household_id ORDER BY file_id, line) FILTER (WHERE household_id IS NOT NULL)
               AS household_id,
           last(village_code ORDER BY file_id, line) FILTER (WHERE village_code IS NOT NULL)
               AS village_code
    FROM scope_enrolment
    WHERE person_id NOT IN (SELECT person_id FROM roster_latest)
    GROUP BY person_id
)
SELECT person_id, name, household_id, relation, village_code, village_name, category,
       household_income, risk_cause, true AS on_roster, phone
FROM roster_latest
UNION ALL
SELECT person_id, name, household_id, NULL, village_code, NULL, 'general', NULL, NULL, false,
       NULL
FROM enrolment_only;
