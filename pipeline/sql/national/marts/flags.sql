-- reads: person_year, national_rules
-- The national line rules (kind over_line of the rules folder, its default line): a person-year
-- whose national OOP is strictly over the line, with the rule's explanations filled in.
SELECT p.person_id, p.year, r.rule_id, p.oop, r.line AS threshold, r.severity,
       replace(replace(replace(r.explain_zh, '{year}', CAST(p.year AS VARCHAR)),
                       '{oop}', yuan(p.oop)), '{threshold}', yuan(r.line)) AS explain_zh,
       replace(replace(replace(r.explain_en, '{year}', CAST(p.year AS VARCHAR)),
                       '{oop}', yuan(p.oop)), '{threshold}', yuan(r.line)) AS explain_en
FROM person_year AS p
JOIN national_rules AS r ON p.year BETWEEN r.effective_from AND r.effective_to
WHERE p.oop > r.line
