-- reads: export_list, exports, export_rows
-- The previous logged export of the same region and year, and how many people of this export
-- it did not hold (all of them when there is none). Parameters: year, region.
WITH previous AS (
    SELECT export_id, made_at
    FROM exports
    WHERE year = ? AND region = ?
    ORDER BY made_at DESC, export_id DESC
    LIMIT 1
),
earlier AS (
    SELECT DISTINCT person_id
    FROM export_rows
    WHERE export_id = (SELECT export_id FROM previous)
)
SELECT (SELECT export_id FROM previous) AS previous_export_id,
       (SELECT made_at FROM previous) AS previous_made_at,
       count(*) FILTER (WHERE e.person_id IS NULL) AS new_people
FROM export_list AS l
LEFT JOIN earlier AS e USING (person_id);
