-- reads: divisions, roster_rows
-- Names for every drill level's code: province (2 digits), city (4), county (6), township (9)
-- from the MCA division list, village (12) from the roster's latest village_name, else the code.
-- The national build runs this file too, over every province's roster rows (on Spark as well:
-- arg_max, not last(… ORDER BY …), which has no Spark form).
CREATE OR REPLACE TABLE region_names AS
SELECT code, level, name, parent_code, true AS known FROM divisions
UNION ALL
SELECT village_code AS code, 5 AS level,
       coalesce(arg_max(village_name, (file_id, line)) FILTER (WHERE village_name IS NOT NULL),
                village_code) AS name,
       substr(village_code, 1, 9) AS parent_code,
       bool_or(village_name IS NOT NULL) AS known
FROM roster_rows
GROUP BY village_code;
