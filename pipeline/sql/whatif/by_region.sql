-- reads: whatif_people, region_names
-- What-if per child region of the one asked (provinces under the nation, … villages under a
-- township): flagged now and under the alternative, who enters and who leaves, assistance owed
-- now and under the alternative, and paid. Parameter: the child code's length.
WITH rows AS (
    SELECT coalesce(substr(village_code, 1, ?), '') AS code, *
    FROM whatif_people
)
SELECT r.code, coalesce(n.name, r.code) AS name,
       count(*) FILTER (WHERE now_flagged) AS now,
       count(*) FILTER (WHERE alt_flagged) AS alt,
       count(*) FILTER (WHERE alt_flagged AND NOT now_flagged) AS entering,
       count(*) FILTER (WHERE now_flagged AND NOT alt_flagged) AS leaving,
       CAST(sum(owed_now) AS DECIMAL(14,2)) AS owed_now,
       CAST(sum(owed_alt) AS DECIMAL(14,2)) AS owed_alt,
       CAST(sum(paid) AS DECIMAL(14,2)) AS paid
FROM rows AS r
LEFT JOIN region_names AS n ON n.code = r.code
GROUP BY ALL
ORDER BY r.code;
