-- reads: feedback_checked
-- Keep the rows of feedback_checked that did not load, with why. Parameters: feedback_id, file.
INSERT INTO feedback_rejects
SELECT ?, ?, sheet, "row", reason_code, detail, raw
FROM feedback_checked
WHERE reason_code IS NOT NULL
ORDER BY sheet_no, "row";
