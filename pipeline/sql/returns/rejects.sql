-- reads: return_checked
-- Keep the rows of return_checked that did not load, with why. Parameters: return_id, file.
INSERT INTO return_rejects
SELECT ?, ?, sheet, "row", file_key, reason, detail, raw
FROM return_checked
WHERE reason IS NOT NULL
ORDER BY sheet_no, "row";
