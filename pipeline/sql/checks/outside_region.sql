-- Rows of one import that lie outside a region, for an import restricted to it (a regional
-- admin's upload from the dashboard): roster and enrolment rows placed elsewhere (or nowhere),
-- and claims of people who live elsewhere. Claims of people no one names yet stay allowed (they
-- wait, unmatched, and nobody scoped sees them). Run after the models of the import are built.
-- Parameters: import_id, then the region prefix three times.
WITH files AS (
    SELECT file_id, file FROM import_files WHERE import_id = ?
),
outside AS (
    SELECT f.file, r.line, 'roster' AS kind, r.village_code
    FROM roster_rows AS r JOIN files AS f USING (file_id)
    WHERE NOT starts_with(coalesce(r.village_code, ''), ?)
    UNION ALL
    SELECT f.file, e.line, 'enrolment', e.village_code
    FROM enrolment_rows AS e JOIN files AS f USING (file_id)
    WHERE e.village_code IS NOT NULL AND NOT starts_with(e.village_code, ?)
    UNION ALL
    SELECT f.file, c.line, 'claims', p.village_code
    FROM claim_log AS c JOIN files AS f USING (file_id) JOIN people AS p USING (person_id)
    WHERE NOT starts_with(coalesce(p.village_code, ''), ?)
)
SELECT file, line, kind, village_code, count(*) OVER () AS rows_outside
FROM outside
ORDER BY file, line
LIMIT 5;
