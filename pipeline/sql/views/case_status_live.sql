-- reads: watchlist, export_rows, exports, case_events
-- case_status_live (stored as the table case_status by marts/case_status.sql at every write:
-- ingest, export, returns, so that the dashboard reads it without the joins):
-- one row per person-year on the current watch-list, ever exported or with an outcome, and how
-- far its follow-up got: flagged → exported → visited (someone was seen: visited, assistance
-- applied, no need) → helped (assistance granted or an amount above 0). An outcome that is no
-- visit is its own stage, never counted as visited: unreachable (无法联系: tried, nobody met),
-- moved (已迁出) and deceased (已故) when that is the latest outcome. Only current (not
-- superseded) outcomes count.
CREATE OR REPLACE VIEW case_status_live AS
WITH listed AS (
    SELECT person_id, year, village_code, severity, status
    FROM watchlist
),
exported AS (
    SELECT x.person_id, x.year,
           min(e.made_at) AS first_exported_at,
           max(e.made_at) AS last_exported_at,
           arg_max(e.export_id, e.made_at) AS last_export_id,
           arg_max(e.region, e.made_at) AS export_region,
           arg_max(x.village_code, e.made_at) AS village_code,
           count(DISTINCT e.export_id) AS times_exported
    FROM export_rows AS x
    JOIN exports AS e USING (export_id)
    GROUP BY x.person_id, x.year
),
events AS (
    SELECT person_id, year,
           max(visit_date) AS last_visit_date,
           arg_max(outcome, (coalesce(visit_date, DATE '1900-01-01'), event_id)) AS last_outcome,
           CAST(coalesce(sum(assistance), 0) AS DECIMAL(14,2)) AS assistance_total,
           bool_or(outcome = 'assistance_granted') AS granted,
           bool_or(outcome IN ('visited', 'assistance_applied', 'no_need')) AS met,
           count(*) AS outcomes
    FROM case_events
    WHERE superseded_by IS NULL
    GROUP BY person_id, year
),
keys AS (
    SELECT person_id, year FROM listed
    UNION SELECT person_id, year FROM exported
    UNION SELECT person_id, year FROM events
)
SELECT k.person_id, k.year,
       coalesce(l.village_code, x.village_code) AS village_code,
       l.person_id IS NOT NULL AS on_watchlist, l.severity, l.status,
       x.first_exported_at, x.last_exported_at, x.last_export_id, x.export_region,
       coalesce(x.times_exported, 0) AS times_exported,
       ev.last_visit_date, ev.last_outcome,
       coalesce(ev.assistance_total, 0)::DECIMAL(14,2) AS assistance_total,
       coalesce(ev.outcomes, 0) AS outcomes,
       CASE WHEN ev.granted OR ev.assistance_total > 0 THEN 'helped'
            WHEN ev.last_outcome IN ('moved', 'deceased') THEN ev.last_outcome
            WHEN ev.met THEN 'visited'
            WHEN ev.person_id IS NOT NULL THEN 'unreachable'
            WHEN x.person_id IS NOT NULL THEN 'exported'
            ELSE 'flagged' END AS stage
FROM keys AS k
LEFT JOIN listed AS l USING (person_id, year)
LEFT JOIN exported AS x USING (person_id, year)
LEFT JOIN events AS ev USING (person_id, year);
