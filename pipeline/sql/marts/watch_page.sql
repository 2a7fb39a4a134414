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
-- The two orders are computed on the narrow columns first (watch_order), and the wide rows
-- (explanations: 66 MB of text at 1M people) read once, in that order: carried through the
-- windows and joins they ran out of memory under 200 MB at 1M people (at 10M under the default
-- limit). Sorting the wide rows twice cost 0.5 s of 1.9 at 1M people.
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
CREATE OR REPLACE TABLE watch_page AS
SELECT o.ord, o.hh_ord,
       w.*,
       coalesce(n.name, w.village_code) AS village_name,
       t.name AS township_name,
       coalesce(c.stage, 'flagged') AS stage,
       c.first_exported_at,
       k.token,
       o.listed_members, o.new_members, o.listed_oop,
       hy.household_oop
FROM watch_order AS o
JOIN watchlist AS w USING (person_id, year)
-- the listed households' and people's rows only (hash tables on every household's and person's
-- ran out of memory)
LEFT JOIN (SELECT year, household_id, household_oop FROM household_year
           SEMI JOIN watch_order USING (year, household_id)) AS hy
    ON hy.year = w.year AND hy.household_id = w.household_id
LEFT JOIN region_names AS n ON n.code = w.village_code AND n.level = 5
LEFT JOIN region_names AS t ON t.code = substr(w.village_code, 1, 9) AND t.level = 4
LEFT JOIN case_status AS c ON c.person_id = w.person_id AND c.year = w.year
LEFT JOIN (SELECT person_id, token FROM person_keys
           SEMI JOIN (SELECT person_id FROM watch_order) AS l USING (person_id)) AS k
    ON k.person_id = w.person_id
ORDER BY o.ord;
DROP TABLE watch_order;
