-- reads: applicable, household_year
-- Kind household_burden: the household's annual OOP over a share of its known annual income.
-- Its threshold is the household's, so what it is compared with (`compared`) is the household's
-- OOP, not the person's: ¥143.83 beside a line of ¥3,956 read as an error.
-- Households with no income figure are never treated as zero: they are counted in the view
-- household_year (income_known = false) and never flagged by this rule.
-- The comparison is made on narrow columns first, then only the rows that fire take their
-- templates: the wide applicable rows joined whole to every household ran out of memory in a
-- weekly import at 10M people (1M touched people, 6.5M households).
INSERT INTO fired
WITH burden AS MATERIALIZED (
    SELECT a.person_id, a.year, a.rule_id, a.version, h.household_oop, h.household_income
    FROM (SELECT person_id, household_id, year, rule_id, version, share
          FROM applicable WHERE kind = 'household_burden') AS a
    JOIN (SELECT household_id, year, household_oop, household_income
          FROM household_year WHERE income_known) AS h USING (household_id, year)
    WHERE h.household_oop > a.share * h.household_income
)
SELECT a.person_id, a.year, a.rule_id, a.version, a.oop,
       CAST(round(a.share * b.household_income, 2) AS DECIMAL(14,2)), a.severity, NULL, NULL,
       render(a.template_zh, a.year, a.oop, NULL, a.share, NULL, NULL, NULL,
              b.household_oop, b.household_income, NULL),
       render(a.template_en, a.year, a.oop, NULL, a.share, NULL, NULL, NULL,
              b.household_oop, b.household_income, NULL),
       b.household_oop
FROM burden AS b
JOIN applicable AS a USING (person_id, year, rule_id, version)
WHERE a.kind = 'household_burden';
