-- reads: applicable_moving, claims_effective, eval_params, people, rule_params
-- Kind household_net_income (Shandong's pattern): the household's OOP of the last window_days
-- days up to the data's date (12 months: 365) leaves its income per member below `multiple` x
-- the dibao standard (dibao_standard, yuan per person a year, given per region in rules data).
-- Put as a line on the household's OOP: household income - multiple x standard x members,
-- at least 0, so what the line is compared with is the household's window OOP (as
-- household_burden compares the household's annual OOP) and a household with no OOP in the
-- window is never flagged. Members are the people the roster lists in the household; a
-- household with no income figure is never treated as zero and never flagged by this rule.
-- Like rolling_window, it belongs to the year of as_of and reads everyone.
SET VARIABLE window_start = window_since('household_net_income');

-- The window's sums first, as a table: inside an import's transaction the planner took the
-- claims in force for a few rows and, with window_oop inlined, joined every person-year to every
-- window sum on window_days alone (1M people of one province: out of memory at 4 GB); a table
-- has its real size.
CREATE OR REPLACE TEMP TABLE window_recent AS
FROM window_oop('household_net_income', getvariable('window_start'), false);

-- This kind's placeholders besides render's: {window_oop} (the household's), {net_income} (a
-- member's income net of it), {members}, {dibao_standard}, {multiple}.
CREATE OR REPLACE TEMP MACRO household_text(t, window_oop, net_income, members, standard,
                                            multiple) AS
    replace(replace(replace(replace(replace(t,
        '{window_oop}', money_text(window_oop)),
        '{net_income}', money_text(net_income)),
        '{members}', CAST(members AS VARCHAR)),
        '{dibao_standard}', line_text(standard)),
        '{multiple}', line_text(multiple));

INSERT INTO fired
WITH params AS (SELECT as_of FROM eval_params),
households AS (
    SELECT household_id, count(*) AS members, max(household_income) AS household_income
    FROM people
    WHERE household_id IS NOT NULL
    GROUP BY household_id
    HAVING max(household_income) IS NOT NULL
),
recent AS (
    SELECT p.household_id, r.window_days, CAST(sum(r.window_oop) AS DECIMAL(14,2)) AS window_oop
    FROM window_recent AS r
    JOIN people AS p USING (person_id)
    WHERE p.household_id IS NOT NULL
    GROUP BY p.household_id, r.window_days
),
priced AS (
    SELECT a.*, h.members, h.household_income, r.window_oop,
           CAST(greatest(h.household_income - a.multiple * a.dibao_standard * h.members, 0)
                AS DECIMAL(14,2)) AS household_line,
           CAST(money_divided(h.household_income - r.window_oop, h.members) AS DECIMAL(14,2))
               AS net_income
    FROM applicable_moving AS a
    CROSS JOIN params
    JOIN households AS h USING (household_id)
    JOIN recent AS r USING (household_id, window_days)
    WHERE a.kind = 'household_net_income' AND a.year = year(params.as_of)
)
SELECT person_id, year, rule_id, version, oop, household_line, severity, NULL, NULL,
       household_text(render(template_zh, year, oop, household_line, NULL, NULL, NULL, NULL,
                             window_oop, household_income, window_days),
                      window_oop, net_income, members, dibao_standard, multiple),
       household_text(render(template_en, year, oop, household_line, NULL, NULL, NULL, NULL,
                             window_oop, household_income, window_days),
                      window_oop, net_income, members, dibao_standard, multiple),
       window_oop
FROM priced
WHERE window_oop > household_line;

DROP TABLE window_recent;
