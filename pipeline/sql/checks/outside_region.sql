-- reads: import_files, roster_rows, enrolment_rows, claim_log, claim_rows, people
-- Rows of one import that reach outside a region, for an import restricted to it (a regional
-- admin's upload from the dashboard): every row is checked against every record it touches.
-- Run after the import's rows are stored and before the models are refreshed, so `people` is
-- still where everyone lived before this import.
--   roster     the row's village, and where the person lived before (a row may not move a
--              person in from elsewhere);
--   enrolment  the row's village if it has one, and where the person lived before or is
--              placed by this import (an enrolment row without a village still changes the
--              person's coverage);
--   claims     where the claim's person lives (before, or placed by this import), and for a
--              reversal where the person of the claim it cancels lives; a reversal of another
--              person's claim that nobody has placed is refused too, since no one scoped can see
--              it. Claims of people no one names yet stay allowed (they wait, unmatched).
-- A claim_id held by another person never reaches here (claim_id_other_person), so a
-- correction touches only its own person.
-- Parameters: $import_id and $region (a division code prefix).
WITH files AS (
    SELECT file_id, file FROM import_files WHERE import_id = $import_id
),
placed AS (  -- every place a person has: before this import, and given by this import
    SELECT person_id, village_code FROM people
    UNION ALL
    SELECT r.person_id, r.village_code FROM roster_rows AS r SEMI JOIN files USING (file_id)
    UNION ALL
    SELECT e.person_id, e.village_code FROM enrolment_rows AS e SEMI JOIN files USING (file_id)
    WHERE e.village_code IS NOT NULL
),
placed_outside AS (
    SELECT person_id, min(coalesce(village_code, '')) AS village_code
    FROM placed
    WHERE NOT starts_with(coalesce(village_code, ''), $region)
    GROUP BY person_id
),
import_claims AS (
    SELECT c.* FROM claim_log AS c SEMI JOIN files USING (file_id)
),
reversed AS (  -- the person of the claim a reversal of this import cancels
    SELECT r.file_id, r.line, r.person_id, t.person_id AS target_person
    FROM import_claims AS r
    JOIN claim_rows AS t ON t.claim_id = r.reverses
    WHERE r.reverses IS NOT NULL
),
outside AS (
    SELECT r.file_id, r.line, 'roster' AS kind, r.village_code, 'village' AS why
    FROM roster_rows AS r SEMI JOIN files USING (file_id)
    WHERE NOT starts_with(coalesce(r.village_code, ''), $region)
    UNION ALL
    SELECT r.file_id, r.line, 'roster', p.village_code, 'person lives elsewhere'
    FROM roster_rows AS r SEMI JOIN files USING (file_id)
    JOIN people AS p USING (person_id)
    WHERE starts_with(coalesce(r.village_code, ''), $region)
      AND NOT starts_with(coalesce(p.village_code, ''), $region)
    UNION ALL
    SELECT e.file_id, e.line, 'enrolment', e.village_code, 'village'
    FROM enrolment_rows AS e SEMI JOIN files USING (file_id)
    WHERE e.village_code IS NOT NULL AND NOT starts_with(e.village_code, $region)
    UNION ALL
    SELECT e.file_id, e.line, 'enrolment', o.village_code, 'person lives elsewhere'
    FROM enrolment_rows AS e SEMI JOIN files USING (file_id)
    JOIN placed_outside AS o USING (person_id)
    WHERE e.village_code IS NULL OR starts_with(e.village_code, $region)
    UNION ALL
    SELECT c.file_id, c.line, 'claims', o.village_code, 'person lives elsewhere'
    FROM import_claims AS c JOIN placed_outside AS o USING (person_id)
    UNION ALL
    SELECT r.file_id, r.line, 'claims', o.village_code, 'reverses a claim of a person elsewhere'
    FROM reversed AS r JOIN placed_outside AS o ON o.person_id = r.target_person
    UNION ALL
    SELECT r.file_id, r.line, 'claims', NULL, 'reverses a claim of a person no one has placed'
    FROM reversed AS r
    WHERE r.target_person <> r.person_id
      AND r.target_person NOT IN (SELECT person_id FROM placed)
)
SELECT f.file, o.line, o.kind, o.village_code, o.why, count(*) OVER () AS rows_outside
FROM outside AS o JOIN files AS f USING (file_id)
ORDER BY f.file, o.line
LIMIT 5;
