-- reads: export_list
-- The export's rows in list order: severity (high first), then OOP (highest first), then ID.
SELECT case_key, person_id, shown_id, name, household_id, village_code, village_name, category,
       oop, threshold, severity, rules, explain_zh, explain_en, status, first_flagged,
       weeks_on_list, last_hospital, last_diagnosis, county_code, county_name, township_code,
       township_name, householder, phone, assist_entitled, assist_paid, assist_shortfall
FROM export_list
ORDER BY severity_rank, oop DESC, person_id;
