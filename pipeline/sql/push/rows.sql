-- reads: push_list
-- The rows a push carries, in list order (return-to-poverty warnings first as push.toml lists
-- them, then severity, OOP highest first, ID); with since_last only the new and changed ones.
-- Parameters: since_last, the warning types in push.toml's order[].
SELECT case_key, person_id, shown_id, name, household_id, village_code, village_name,
       township_name, category, warning_type, oop, line, rules, explain_zh, explain_en,
       severity, assistance_paid, assist_shortfall, change
FROM push_list
WHERE left_out IS NULL AND (NOT ?::BOOLEAN OR change <> 'same')
ORDER BY list_position(?::VARCHAR[], warning_type), severity_rank, oop DESC, person_id;
