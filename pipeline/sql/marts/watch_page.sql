-- reads: watchlist, case_status, region_names
-- The current watch-list as the dashboard's watch-list page shows it, stored in display order
-- (year, then severity high → low, OOP high → low, person_id), with each village's name and
-- the follow-up stage. A page is then the first rows that match its filters, read in storage
-- order (DuckDB keeps insertion order): sorting the national list per click, with its long
-- explanation texts, took most of the page's time. Rebuilt with case_status (after every
-- rule run, export and return).
CREATE OR REPLACE TABLE watch_page AS
SELECT row_number() OVER (
           ORDER BY w.year,
                    CASE w.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                    w.oop DESC, w.person_id
       ) AS ord,
       w.*,
       coalesce(n.name, w.village_code) AS village_name,
       coalesce(c.stage, 'flagged') AS stage
FROM watchlist AS w
LEFT JOIN region_names AS n ON n.code = w.village_code AND n.level = 5
LEFT JOIN case_status AS c ON c.person_id = w.person_id AND c.year = w.year
ORDER BY ord;
