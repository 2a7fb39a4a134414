-- reads: push_list
-- How many person-years of the watch-list a push did not carry, per reason (no_warning: the
-- category has no warning type; no_income: no reference income for the region; under_line:
-- OOP not over the warning's line) and, with since_last, how many were pushed before unchanged.
-- Parameter: since_last.
SELECT left_out AS reason, count(*) AS n
FROM push_list
WHERE left_out IS NOT NULL
GROUP BY left_out
UNION ALL
SELECT 'unchanged', count(*)
FROM push_list
WHERE left_out IS NULL AND change = 'same' AND ?::BOOLEAN
HAVING count(*) > 0
ORDER BY reason;
