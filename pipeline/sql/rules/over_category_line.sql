-- reads: applicable
-- Kind over_category_line: annual OOP strictly greater than a flat line for the person's
-- category (e.g. 10,000 yuan for low-income groups, 26,000 for everyone else); a category
-- without a line is not judged by it.
INSERT INTO fired
SELECT person_id, year, rule_id, version, oop, lines[category], severity, NULL, NULL,
       render(template_zh, year, oop, lines[category], NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       render(template_en, year, oop, lines[category], NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       oop
FROM applicable
WHERE kind = 'over_category_line' AND lines[category] IS NOT NULL AND oop > lines[category];
