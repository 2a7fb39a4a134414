-- reads: applicable, township_income
-- Kind over_income_share: annual OOP strictly greater than the person's category's share of the
-- reference rural income (previous year, the person's province; see township_income).
INSERT INTO fired
WITH shared AS (
    SELECT a.*, a.shares[a.category] AS category_share
    FROM applicable AS a
    WHERE a.kind = 'over_income_share'
),
priced AS (
    SELECT s.*, i.yuan, i.basis_zh, i.basis_en,
           CAST(round(s.category_share * i.yuan, 2) AS DECIMAL(14,2)) AS income_line
    FROM shared AS s
    JOIN township_income AS i
        ON i.township_code = coalesce(s.township_code, '') AND i.year = s.year
    WHERE s.category_share IS NOT NULL
)
SELECT person_id, year, rule_id, version, oop, income_line, severity, basis_zh, basis_en,
       render(template_zh, year, oop, income_line, category_share, yuan, basis_zh,
              NULL, NULL, NULL, NULL),
       render(template_en, year, oop, income_line, category_share, yuan, basis_en,
              NULL, NULL, NULL, NULL),
       oop
FROM priced
WHERE oop > income_line;
