-- reads: fired
-- Every rule that fired for a person-year nationally: the rule kinds' own SQL (pipeline/sql/
-- rules/<kind>.sql, the files a province's evaluation runs) over the national person_year,
-- household_year and claims in force, with the rules folder's rules and region files. Columns as
-- a province's flags view: the figures, the line, the severity, the explanations in both
-- languages, and what the line was compared with (compared_oop: a household's OOP for the
-- household kinds).
SELECT person_id, year, rule_id, oop, threshold, severity, note_zh, note_en, explain_zh,
       explain_en, compared AS compared_oop
FROM fired
