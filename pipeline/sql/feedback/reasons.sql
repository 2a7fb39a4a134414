-- reads: feedback_checked
-- Rejected rows of one answer file per reason, most frequent first.
SELECT reason_code, count(*) AS n
FROM feedback_checked
WHERE reason_code IS NOT NULL
GROUP BY reason_code
ORDER BY n DESC, reason_code;
