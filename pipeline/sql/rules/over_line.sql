-- reads: applicable
-- Kind over_line: annual OOP strictly greater than the line.
INSERT INTO fired
SELECT person_id, year, rule_id, version, oop, line, severity, NULL, NULL,
       render(template_zh, year, oop, line, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       render(template_en, year, oop, line, NULL, NULL, NULL, NULL, NULL, NULL, NULL), oop
FROM applicable
WHERE kind = 'over_line' AND oop > line;
