-- reads: case_status
-- The follow-up funnel of a region (village-code prefix, '' nationwide) and year, from
-- case_status: person-years flagged (on the list now or exported before), exported, visited
-- (someone was seen), helped (each stage counts the ones beyond it too); beside the funnel,
-- outcomes that are no visit (unreachable, moved, deceased), on the list now, and exported more
-- than `days` days before `as_of` with no outcome yet.
-- Parameters: year, region prefix, as_of date, days.
WITH params AS (
    SELECT ?::INTEGER AS year, ?::VARCHAR AS region, ?::DATE AS as_of, ?::INTEGER AS days
),
cases AS (
    SELECT s.*
    FROM case_status AS s
    CROSS JOIN params AS p
    WHERE s.year = p.year AND starts_with(coalesce(s.village_code, ''), p.region)
)
SELECT count(*) AS flagged,
       count(*) FILTER (WHERE c.stage NOT IN ('flagged')) AS exported,
       count(*) FILTER (WHERE c.stage IN ('visited', 'helped')) AS visited,
       count(*) FILTER (WHERE c.stage = 'helped') AS helped,
       count(*) FILTER (WHERE c.stage = 'unreachable') AS unreachable,
       count(*) FILTER (WHERE c.stage = 'moved') AS moved,
       count(*) FILTER (WHERE c.stage = 'deceased') AS deceased,
       count(*) FILTER (WHERE c.on_watchlist) AS on_list,
       count(*) FILTER (WHERE c.stage = 'exported'
                        AND CAST(c.first_exported_at AS DATE) < p.as_of - p.days) AS waiting
FROM cases AS c
CROSS JOIN params AS p;
