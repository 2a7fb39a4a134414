-- reads: applicable, household_year, rule_params, township_rules
-- Kind household_burden: the household's annual OOP over a share of its known annual income.
-- Its threshold is the household's, so what it is compared with (`compared`) is the household's
-- OOP, not the person's: ¥143.83 beside a line of ¥3,956 read as an error.
-- Households with no income figure are never treated as zero: they are counted in the view
-- household_year (income_known = false) and never flagged by this rule.
-- The comparison is made on narrow columns first (the wide applicable rows joined whole to every
-- household ran out of memory in a weekly import at 10M people, 1M touched people); the rows
-- that fire then take their templates from township_rules, a small table (joined back to
-- `applicable`, a view over every person-year, they took 70 s at 1M people).
INSERT INTO fired
WITH candidates AS (
    -- the households that can fire under some version: over the smallest share of their income
    -- (incomes are never negative). A weekly import at 10M people (1M people touched) ran out
    -- of memory joining every household-year with an income to the scope's person-years.
    SELECT household_id, year, household_oop, household_income
    FROM household_year
    WHERE income_known
      AND household_oop > (SELECT min(share) FROM rule_params
                           WHERE kind = 'household_burden' AND enabled) * household_income
),
burden AS MATERIALIZED (
    SELECT a.person_id, a.year, a.rule_id, a.version, a.township_code, a.oop, a.severity,
           a.share, h.household_oop, h.household_income
    FROM (SELECT person_id, household_id, year, coalesce(township_code, '') AS township_code,
                 oop, severity, rule_id, version, share
          FROM applicable WHERE kind = 'household_burden') AS a
    JOIN candidates AS h USING (household_id, year)
    WHERE h.household_oop > a.share * h.household_income
)
SELECT b.person_id, b.year, b.rule_id, b.version, b.oop,
       CAST(round(b.share * b.household_income, 2) AS DECIMAL(14,2)), b.severity, NULL, NULL,
       render(r.explain_zh, b.year, b.oop, NULL, b.share, NULL, NULL, NULL,
              b.household_oop, b.household_income, NULL),
       render(r.explain_en, b.year, b.oop, NULL, b.share, NULL, NULL, NULL,
              b.household_oop, b.household_income, NULL),
       b.household_oop
FROM burden AS b
JOIN township_rules AS r
    ON r.township_code = b.township_code AND r.rule_id = b.rule_id AND r.version = b.version;
