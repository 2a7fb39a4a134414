-- reads: claim_log
-- A person-year's claim_log rows, as (file_id, line) pairs. (A table of rowids before the
-- claims moved to segments: the segments are sorted by person_id, so a person's rows are found
-- by the files' own row-group statistics.)
CREATE OR REPLACE VIEW claim_person_rows AS
SELECT person_id, year(settle_date) AS year,
       list({'file_id': file_id, 'line': line} ORDER BY file_id, line) AS log_rows
FROM claim_log
GROUP BY ALL;
