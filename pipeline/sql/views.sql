-- Stable views of CONTRACT.md section 3 (and helpers the dashboard reads). Names never change.
CREATE OR REPLACE VIEW imports AS
SELECT import_id, file, sha256, kind, rows_read, rows_loaded, rows_rejected, imported_at,
       file_id, format, encoding, extra_columns
FROM import_files;

CREATE OR REPLACE VIEW rejected_rows AS
SELECT import_id, file, line, reason, raw, detail, kind, file_id, person_id
FROM rejects;

CREATE OR REPLACE VIEW person_year AS
SELECT person_id, year, name, household_id, village_code, category,
       total_cost, basic_paid, critical_paid, assistance_paid, other_paid, oop,
       claims, inpatient_claims, in_scope_cost, enrolled_active, on_roster,
       province_code, city_code, county_code, township_code
FROM mart_person_year;

-- watchlist, watch_runs and flags: watch.sql (created when the store opens).

-- Every run's entries and exits with their reasons, dated.
CREATE OR REPLACE VIEW watch_history AS
SELECT c.*, r.evaluated_at, r.import_id, r.fingerprint
FROM watch_changes AS c
JOIN rule_runs AS r USING (run_id);
