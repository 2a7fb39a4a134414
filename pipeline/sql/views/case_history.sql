-- reads: watch_changes, rule_runs, export_rows, exports, case_events
-- Per person and year, in one dated list: list entries and exits, every export, every outcome.
CREATE OR REPLACE VIEW case_history AS
SELECT c.person_id, c.year, 'list_' || c.change AS kind, r.evaluated_at AS happened_at,
       CAST(r.evaluated_at AS DATE) AS day, NULL::VARCHAR AS export_id, NULL::VARCHAR AS region,
       NULL::VARCHAR AS outcome, NULL::DECIMAL(14,2) AS assistance, c.reason AS notes,
       NULL::VARCHAR AS file, NULL::INTEGER AS return_id, false AS superseded
FROM watch_changes AS c
JOIN rule_runs AS r USING (run_id)
UNION ALL
SELECT x.person_id, x.year, 'exported', e.made_at, CAST(e.made_at AS DATE), e.export_id,
       e.region, NULL, NULL, NULL, e.file, NULL, false
FROM export_rows AS x
JOIN exports AS e USING (export_id)
UNION ALL
SELECT person_id, year, 'outcome', returned_at, visit_date, export_id, NULL, outcome,
       assistance, notes, file, return_id, superseded_by IS NOT NULL
FROM case_events;
