-- reads: return_checked
-- Rejected rows of one returned file per reason, most frequent first.
SELECT reason, count(*) AS n
FROM return_checked
WHERE reason IS NOT NULL
GROUP BY reason
ORDER BY n DESC, reason;
