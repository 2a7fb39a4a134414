-- reads: export_list
-- The export's rows grouped by household, for a caseworker who plans one visit per household:
-- the household whose most urgent member comes first in list order (severity, then OOP) first,
-- its members together beneath in list order. Someone with no household stands alone.
SELECT case_key, person_id, shown_id, name, household_id, village_code, village_name, category,
       oop, threshold, severity, rules, explain_zh, explain_en, status, first_flagged,
       weeks_on_list, last_hospital, last_diagnosis, county_code, county_name, township_code,
       township_name, householder, phone, assist_entitled, assist_paid, assist_shortfall
FROM export_list
ORDER BY min((severity_rank, -oop, person_id))
             OVER (PARTITION BY coalesce(household_id, '~' || person_id)),
         coalesce(household_id, '~' || person_id), severity_rank, oop DESC, person_id;
