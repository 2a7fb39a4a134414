-- reads: export_rows, case_events
-- The follow-up stage of every person-year exported or with an outcome (same rule as
-- case_status, without the watch-list): the watch-list page joins it on every filter.
CREATE OR REPLACE VIEW case_stages AS
SELECT person_id, year,
       CASE WHEN bool_or(granted) OR sum(assistance) > 0 THEN 'helped'
            WHEN bool_or(is_event) THEN 'visited'
            ELSE 'exported' END AS stage
FROM (
    SELECT person_id, year, false AS is_event, false AS granted, 0 AS assistance
    FROM export_rows
    UNION ALL
    SELECT person_id, year, true, outcome = 'assistance_granted', coalesce(assistance, 0)
    FROM case_events
    WHERE superseded_by IS NULL
)
GROUP BY person_id, year;
