-- reads: nothing (a table of the store)
-- Segments merged into a larger one (pipeline/store/segments.py, compact): out of force, and
-- removed once no snapshot of the store lists them any more (a dashboard may still read the
-- snapshot before the merge).
CREATE TABLE IF NOT EXISTS claim_segments_retired (
    path        VARCHAR,
    retired_by  INTEGER,
    retired_at  TIMESTAMP
);
