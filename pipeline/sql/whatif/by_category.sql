-- reads: whatif_people
-- What-if per category: flagged now and under the alternative, entering and leaving.
SELECT coalesce(category, '') AS category,
       count(*) FILTER (WHERE now_flagged) AS now,
       count(*) FILTER (WHERE alt_flagged) AS alt,
       count(*) FILTER (WHERE alt_flagged AND NOT now_flagged) AS entering,
       count(*) FILTER (WHERE now_flagged AND NOT alt_flagged) AS leaving
FROM whatif_people
GROUP BY ALL
ORDER BY category;
