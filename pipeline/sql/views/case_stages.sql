-- reads: export_rows, case_events
-- The follow-up stage of every person-year exported or with an outcome (the rule of
-- case_status_live, without the watch-list).
CREATE OR REPLACE VIEW case_stages AS
SELECT person_id, year,
       CASE WHEN bool_or(granted) OR sum(assistance) > 0 THEN 'helped'
            WHEN max(last_outcome) IN ('moved', 'deceased') THEN max(last_outcome)
            WHEN bool_or(outcome IN ('visited', 'assistance_applied', 'no_need')) THEN 'visited'
            WHEN bool_or(is_event) THEN 'unreachable'
            ELSE 'exported' END AS stage
FROM (
    SELECT person_id, year, false AS is_event, false AS granted, 0 AS assistance,
           NULL AS outcome, NULL AS last_outcome
    FROM export_rows
    UNION ALL
    SELECT person_id, year, true, outcome = 'assistance_granted', coalesce(assistance, 0),
           outcome,
           arg_max(outcome, (coalesce(visit_date, DATE '1900-01-01'), event_id))
               OVER (PARTITION BY person_id, year)
    FROM case_events
    WHERE superseded_by IS NULL
)
GROUP BY person_id, year;
