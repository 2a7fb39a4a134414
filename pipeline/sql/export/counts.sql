-- reads: export_list
-- The cover's counts: people by severity, and by rule (a person counts once per rule fired).
SELECT 'severity' AS kind, severity AS key, count(*) AS people
FROM export_list
GROUP BY severity
UNION ALL
SELECT 'rule', rule, count(*)
FROM (SELECT unnest(string_split(rules, ';')) AS rule FROM export_list)
GROUP BY rule
ORDER BY kind, people DESC, key;
