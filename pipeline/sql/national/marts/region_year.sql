-- reads: person_year, flags
-- Every drill level's figures per region and year, nationally: level 0 the nation (code ''),
-- 1 province … 5 village; people with a person-year, their OOP, and how many are flagged.
WITH levels AS (
    SELECT level FROM (VALUES (0), (1), (2), (3), (4), (5)) AS l(level)
),
flagged AS (
    SELECT DISTINCT person_id, year FROM flags
),
placed AS (
    SELECT p.person_id, p.year, p.village_code, p.oop,
           f.person_id IS NOT NULL AS is_flagged
    FROM person_year AS p
    LEFT JOIN flagged AS f ON f.person_id = p.person_id AND f.year = p.year
)
SELECT CAST(l.level AS INTEGER) AS level, region_prefix(p.village_code, l.level) AS code,
       p.year, CAST(count(*) AS BIGINT) AS people,
       CAST(sum(p.oop) AS DECIMAL(14,2)) AS oop,
       CAST(count(*) FILTER (WHERE p.is_flagged) AS BIGINT) AS flagged
FROM placed AS p
CROSS JOIN levels AS l
WHERE l.level = 0 OR p.village_code IS NOT NULL
GROUP BY l.level, region_prefix(p.village_code, l.level), p.year
