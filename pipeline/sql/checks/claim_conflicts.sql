-- reads: batch_claims, batch_repeated, batch_files, stored_claims
-- Claim rows of this import whose claim_id another person already holds (contract v1.1): a
-- correction may change anything but the person. The holder is the person of the claim in the
-- store or, for a claim_id new to the store, the person of its first row in this import (by
-- file, then line). Such rows are rejected (claim_id_other_person) and the held claim stays.
-- Reads batch_claims (the import's valid claim rows), batch_repeated (claim_ids occurring more
-- than once in it), batch_files (file_id, file) and stored_claims (the stored claims in force
-- whose claim_id the import names again; none in a first import: pipeline/ingest/load.py).
CREATE OR REPLACE TEMP TABLE claim_conflicts AS
WITH first_rows AS (
    SELECT claim_id, arg_min(person_id, [file_id, line]) AS person_id,
           arg_min(file_id, [file_id, line]) AS file_id, min([file_id, line])[2] AS line
    FROM batch_claims SEMI JOIN batch_repeated USING (claim_id)
    GROUP BY claim_id
),
holders AS (
    SELECT claim_id, coalesce(s.person_id, f.person_id) AS holder,
           s.person_id IS NOT NULL AS in_store, f.file_id AS first_file, f.line AS first_line
    FROM first_rows AS f
    FULL JOIN stored_claims AS s USING (claim_id)
)
SELECT b.file_id, b.line, b.claim_id, b.person_id,
       'claim_id ' || b.claim_id || ' already belongs to another person '
       || CASE WHEN h.in_store THEN '(a claim imported before); the existing claim stays'
               ELSE '(line ' || h.first_line || ' of ' || bf.file || ' in this import)' END
           AS detail
FROM batch_claims AS b
JOIN holders AS h USING (claim_id)
LEFT JOIN batch_files AS bf ON bf.file_id = h.first_file
WHERE b.person_id <> h.holder;
