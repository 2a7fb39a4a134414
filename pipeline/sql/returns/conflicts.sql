-- reads: return_checked
-- Case keys that loaded rows of one returned file give different values (visit date, outcome,
-- assistance, notes): the last row stands (supersede.sql); the CLI names them so a caseworker's
-- two answers for one person are never taken silently. Reads return_checked.
SELECT case_key, list("row" ORDER BY sheet_no, "row") AS rows
FROM return_checked
WHERE reason IS NULL
GROUP BY case_key
HAVING count(DISTINCT (visit_date, outcome, assistance, notes)) > 1
ORDER BY min(sheet_no), min("row");
