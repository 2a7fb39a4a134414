-- reads: rejects
CREATE OR REPLACE VIEW rejected_rows AS
SELECT import_id, file, line, reason, raw, detail, kind, file_id, person_id
FROM rejects;
