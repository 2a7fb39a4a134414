-- reads: case_status_live
-- Every person-year's follow-up (case_status_live of cases.sql), stored: the overview's funnel
-- and the watch-list's "waiting for an outcome" read it per click. Rebuilt after every rule run,
-- export and return (each ends in a new snapshot), so it is never older than the snapshot.
CREATE OR REPLACE TABLE case_status AS
SELECT * FROM case_status_live
ORDER BY year, village_code, person_id;
