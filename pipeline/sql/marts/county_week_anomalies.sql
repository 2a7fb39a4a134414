-- reads: county_week_claims
-- County weeks unlike the county's own history (the exchange's own data quality): for each of
-- the last 8 complete ISO weeks (the week holding the newest settlement may be incomplete and
-- is left out), a county's claims, OOP and medical-assistance share (assistance paid / total
-- cost) against its 52 weeks before, by the modified z-score of Iglewicz and Hoaglin,
-- 0.6745 (x - median) / MAD, or (x - median) / (1.253314 x mean absolute deviation) where the
-- MAD is 0: robust to the skew and the outliers of claim data. A week with no claim counts as
-- 0 claims and 0 OOP (a missing extract). Kept: |z| > 3.5, or a value off a history with no
-- spread at all; a county needs 8 weeks of history to be judged. One row per county, week and
-- metric (claims, oop, assistance_share), `z` empty for a history with no spread.
CREATE OR REPLACE TABLE county_week_anomalies AS
WITH edge AS (
    SELECT max(week) AS this_week FROM county_week_claims
),
counties AS (
    SELECT county, min(week) AS since FROM county_week_claims GROUP BY county
),
grid AS (
    SELECT k.county, CAST(g.week AS DATE) AS week
    FROM counties AS k, edge,
         generate_series(greatest(k.since, CAST(edge.this_week - INTERVAL 60 WEEK AS DATE)),
                         edge.this_week - INTERVAL 7 DAY, INTERVAL 7 DAY) AS g(week)
),
weeks AS (
    SELECT g.county, g.week, coalesce(c.claims, 0) AS claims,
           CAST(coalesce(c.oop, 0) AS DOUBLE) AS oop,
           CASE WHEN c.total_cost > 0
                THEN CAST(c.assistance_paid AS DOUBLE) / CAST(c.total_cost AS DOUBLE) END
               AS assistance_share
    FROM grid AS g
    LEFT JOIN county_week_claims AS c USING (county, week)
),
values AS (
    UNPIVOT weeks ON claims, oop, assistance_share INTO NAME metric VALUE x
),
judged AS (
    SELECT v.* FROM values AS v, edge WHERE v.week >= CAST(edge.this_week - INTERVAL 8 WEEK AS DATE)
),
history AS (
    SELECT j.county, j.week, j.metric, j.x, h.x AS past
    FROM judged AS j
    JOIN values AS h
        ON h.county = j.county AND h.metric = j.metric AND h.week < j.week
       AND h.week >= CAST(j.week - INTERVAL 52 WEEK AS DATE)
),
centre AS (
    SELECT county, week, metric, any_value(x) AS x, count(*) AS weeks, median(past) AS median
    FROM history
    GROUP BY county, week, metric
),
spread AS (
    SELECT c.county, c.week, c.metric, c.x, c.weeks, c.median,
           median(abs(h.past - c.median)) AS mad, avg(abs(h.past - c.median)) AS mean_ad
    FROM centre AS c
    JOIN history AS h USING (county, week, metric)
    GROUP BY ALL
),
scored AS (
    SELECT county, week, metric, x AS value, median, weeks,
           CASE WHEN mad > 0 THEN 0.6745 * (x - median) / mad
                WHEN mean_ad > 0 THEN (x - median) / (1.253314 * mean_ad) END AS z
    FROM spread
    WHERE weeks >= 8
)
SELECT county, week, metric, value, median, round(z, 2) AS z, weeks
FROM scored
WHERE abs(z) > 3.5 OR (z IS NULL AND value <> median)
ORDER BY week DESC, county, metric;
