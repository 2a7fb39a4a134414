-- reads: touched_cancelled, claim_log, claim_rows_superseded, roster_rows, enrolment_rows
-- A weekly import updates only the people it touched (pipeline/models/build.py,
-- refresh_models). The files of this folder run before any model is rebuilt, so people,
-- reversed_claims and the rest still hold the state before this import; `first_file` is the
-- import's first file_id (every row of the import has file_id >= it).
--
-- Touched: the people of the import's claim rows, of the rows those replaced, of the claims its
-- reversal rows cancel (or, replaced, no longer cancel), and of its roster and enrolment rows.
CREATE OR REPLACE TEMP TABLE touched AS
SELECT DISTINCT person_id FROM (
    SELECT person_id FROM claim_log WHERE file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id FROM claim_rows_superseded
    WHERE superseded_by_file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id FROM claim_log SEMI JOIN touched_cancelled USING (claim_id)
    UNION ALL
    SELECT person_id FROM roster_rows WHERE file_id >= getvariable('first_file')
    UNION ALL
    SELECT person_id FROM enrolment_rows WHERE file_id >= getvariable('first_file')
)
WHERE person_id IS NOT NULL;
