-- reads: pushes
-- Which pushes are due: per department and cadence of rules/push.toml (the categories it covers,
-- every so many days), the last push to the department for this year that covers the region
-- (its region is the region or contains it) and the cadence's categories (a push of every
-- category, or one naming one of them), when the next is due and how many days it is late.
-- Parameters: departments[], categories[][], every_days[] (one entry per department and
-- cadence), year, region prefix, today.
WITH params AS (
    SELECT ?::VARCHAR[] AS departments, ?::VARCHAR[][] AS categories, ?::INTEGER[] AS every_days,
           ?::INTEGER AS year, ?::VARCHAR AS region, ?::DATE AS today
),
cadence AS (
    SELECT i, q.departments[i] AS department, q.categories[i] AS categories,
           q.every_days[i] AS every_days
    FROM params AS q, range(1, len(q.departments) + 1) AS t(i)
),
covering AS (
    SELECT c.i, max(p.made_at) AS last_pushed_at, arg_max(p.push_id, p.made_at) AS last_push_id,
           arg_max(p.rows, p.made_at) AS last_rows
    FROM cadence AS c
    CROSS JOIN params AS q
    JOIN pushes AS p
        ON p.department = c.department AND p.year = q.year AND starts_with(q.region, p.region)
       AND (len(p.categories) = 0 OR list_has_any(p.categories, c.categories))
    GROUP BY c.i
)
SELECT c.department, c.categories, c.every_days, v.last_pushed_at, v.last_push_id, v.last_rows,
       CAST(v.last_pushed_at AS DATE) + c.every_days AS next_due,
       CASE WHEN v.last_pushed_at IS NULL THEN true
            ELSE CAST(v.last_pushed_at AS DATE) + c.every_days <= q.today END AS due,
       CASE WHEN v.last_pushed_at IS NOT NULL
            THEN greatest(q.today - (CAST(v.last_pushed_at AS DATE) + c.every_days), 0)
       END AS days_late
FROM cadence AS c
CROSS JOIN params AS q
LEFT JOIN covering AS v USING (i)
ORDER BY c.i;
