-- reads: claim_columns
-- Every claim row ever loaded, append-only: a view over the Parquet segments of
-- claim_segments, which pipeline/store/segments.py defines again whenever a segment is added
-- (this file makes it for a store with none yet). A correction's older row is listed in
-- claim_rows_superseded; nothing is ever deleted.
CREATE VIEW IF NOT EXISTS claim_log AS SELECT * FROM claim_columns;
