-- reads: watchlist, case_status, region_names, person_keys, household_year
-- The current watch-list as the dashboard's watch-list page shows it, stored in display order:
-- year, then new before continuing (what arrived this week is what a caseworker acts on first),
-- severity high → low, OOP high → low, person_id. A page is then the first rows that match its
-- filters, read in storage order (DuckDB keeps insertion order): sorting the national list per
-- click, with its long explanation texts, took most of the page's time. hh_ord orders the same
-- rows by household (the household with the most urgent member first, its members together),
-- for the list grouped by household. Each row carries the village and township names (31 of 54
-- villages shared a name in a trial), the link token and the follow-up stage. Rebuilt with
-- case_status (after every rule run, export and return).
CREATE OR REPLACE TABLE watch_page AS
WITH listed AS MATERIALIZED (
    SELECT w.*,
           CASE w.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END AS severity_rank,
           CASE w.status WHEN 'new' THEN 0 ELSE 1 END AS status_rank
    FROM watchlist AS w
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
),
-- The two orders on the narrow keys (sorting the wide rows, explanations and all, twice cost
-- 0.5 s of 1.9 at 1M people); the wide rows join them once.
keys AS (
    SELECT l.person_id, l.year,
           row_number() OVER (
               ORDER BY l.year, l.status_rank, l.severity_rank, l.oop DESC, l.person_id
           ) AS ord,
           row_number() OVER (
               ORDER BY l.year, coalesce(h.first_member, (l.status_rank, l.severity_rank, -l.oop,
                                                          l.person_id)),
                        l.household_id, l.severity_rank, l.oop DESC, l.person_id
           ) AS hh_ord
    FROM listed AS l
    LEFT JOIN households AS h USING (year, household_id)
)
SELECT ks.ord, ks.hh_ord,
       l.* EXCLUDE (severity_rank, status_rank),
       coalesce(n.name, l.village_code) AS village_name,
       t.name AS township_name,
       coalesce(c.stage, 'flagged') AS stage,
       c.first_exported_at,
       k.token,
       coalesce(h.listed_members, 1) AS listed_members,
       coalesce(h.new_members, CASE WHEN l.status = 'new' THEN 1 ELSE 0 END) AS new_members,
       coalesce(h.listed_oop, l.oop) AS listed_oop,
       hy.household_oop
FROM keys AS ks
JOIN listed AS l USING (person_id, year)
LEFT JOIN households AS h USING (year, household_id)
LEFT JOIN household_year AS hy USING (year, household_id)
LEFT JOIN region_names AS n ON n.code = l.village_code AND n.level = 5
LEFT JOIN region_names AS t ON t.code = substr(l.village_code, 1, 9) AND t.level = 4
LEFT JOIN case_status AS c ON c.person_id = l.person_id AND c.year = l.year
LEFT JOIN person_keys AS k ON k.person_id = l.person_id
ORDER BY ord;
