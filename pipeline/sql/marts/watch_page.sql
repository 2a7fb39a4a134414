-- reads: watch_order, watchlist, case_status, region_names, person_keys, household_year
-- The current watch-list as the dashboard's watch-list page shows it, stored in display order:
-- year, then new before continuing (what arrived this week is what a caseworker acts on first),
-- severity high → low, OOP high → low, person_id. A page is then the first rows that match its
-- filters, read in storage order (DuckDB keeps insertion order): sorting the national list per
-- click, with its long explanation texts, took most of the page's time. hh_ord orders the same
-- rows by household (the household with the most urgent member first, its members together),
-- for the list grouped by household. Each row carries the village and township names (31 of 54
-- villages shared a name in a trial), the link token and the follow-up stage. Rebuilt with
-- case_status (after every rule run, export and return). The orders are watch_order's: the
-- wide rows (explanations: 66 MB of text at 1M people) are read once, in that order.
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
