-- reads: applicable, household_year
-- Kind household_burden: the household's annual OOP over a share of its known annual income.
-- Its threshold is the household's, so what it is compared with (`compared`) is the household's
-- OOP, not the person's: ¥143.83 beside a line of ¥3,956 read as an error.
-- Households with no income figure are never treated as zero: they are counted in the view
-- household_year (income_known = false) and never flagged by this rule.
INSERT INTO fired
SELECT a.person_id, a.year, a.rule_id, a.version, a.oop,
       CAST(round(a.share * h.household_income, 2) AS DECIMAL(14,2)), a.severity, NULL, NULL,
       render(a.template_zh, a.year, a.oop, NULL, a.share, NULL, NULL, NULL,
              h.household_oop, h.household_income, NULL),
       render(a.template_en, a.year, a.oop, NULL, a.share, NULL, NULL, NULL,
              h.household_oop, h.household_income, NULL),
       h.household_oop
FROM applicable AS a
JOIN household_year AS h USING (household_id, year)
WHERE a.kind = 'household_burden' AND h.income_known
  AND h.household_oop > a.share * h.household_income;
