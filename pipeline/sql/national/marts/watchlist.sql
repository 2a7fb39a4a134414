-- reads: watch_listed
-- The national watch-list: one row per flagged person-year, as rules/watch_listed.sql (the file
-- a province's evaluation stores as its list) ranks and explains it over the national flags.
-- status is a province's list's (new, continuing): a national build has no run before it.
SELECT person_id, year, rules, oop, threshold, severity, CAST(NULL AS VARCHAR) AS status,
       explain_zh, explain_en, name,
       household_id, village_code, category, threshold_rule, compared_oop
FROM watch_listed
