-- reads: import_files
CREATE OR REPLACE VIEW imports AS
SELECT import_id, file, sha256, kind, rows_read, rows_loaded, rows_rejected, imported_at,
       file_id, format, encoding, extra_columns
FROM import_files;
