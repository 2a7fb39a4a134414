-- reads: watchlist
-- The watch-list page's two orders (see watch_page), on the narrow columns: with the wide rows
-- (explanations: 66 MB of text at 1M people) carried through the windows and joins, watch_page
-- ran out of memory under 200 MB at 1M people (at 10M under the default limit); sorting the
-- wide rows twice cost 0.5 s of 1.9 at 1M people. A temporary table: the dashboard reads
-- watch_page.
CREATE OR REPLACE TEMP TABLE watch_order AS
WITH listed AS (
    SELECT person_id, year, household_id, oop, status,
           CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END AS severity_rank,
           CASE status WHEN 'new' THEN 0 ELSE 1 END AS status_rank
    FROM watchlist
),
households AS (
    -- per household and year: its most urgent member's place in the person order
    SELECT year, household_id,
           min((status_rank, severity_rank, -oop, person_id)) AS first_member,
           count(*) AS listed_members,
           count(*) FILTER (WHERE status = 'new') AS new_members,
           CAST(sum(oop) AS DECIMAL(14,2)) AS listed_oop
    FROM listed
    WHERE household_id IS NOT NULL
    GROUP BY ALL
)
SELECT l.person_id, l.year, l.household_id,
       row_number() OVER (
           ORDER BY l.year, l.status_rank, l.severity_rank, l.oop DESC, l.person_id
       ) AS ord,
       row_number() OVER (
           ORDER BY l.year, coalesce(h.first_member, (l.status_rank, l.severity_rank, -l.oop,
                                                      l.person_id)),
                    l.household_id, l.severity_rank, l.oop DESC, l.person_id
       ) AS hh_ord,
       coalesce(h.listed_members, 1) AS listed_members,
       coalesce(h.new_members, CASE WHEN l.status = 'new' THEN 1 ELSE 0 END) AS new_members,
       coalesce(h.listed_oop, l.oop) AS listed_oop
FROM listed AS l
LEFT JOIN households AS h USING (year, household_id);
