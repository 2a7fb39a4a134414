-- reads: applicable_moving, claims_effective, eval_params, rule_params, township_income
-- Kind rolling_window: the OOP of the claims settled in the last window_days days up to the
-- data's date (as_of) strictly greater than share x the reference rural income (township_income:
-- the previous year's, as over_income_share uses), e.g. Yunnan's 90 days and 80%. It belongs to
-- the year of as_of and, like projected, reads everyone: the window moves with the data's date.
-- What the line is compared with is the window's OOP ({window_oop} in the explanation).
SET VARIABLE window_start = window_since('rolling_window');

-- The window's sums first, as a table: inside an import's transaction the planner took the
-- claims in force for a few rows and, with window_oop inlined, joined every person-year to every
-- window sum on window_days alone (1M people of one province: out of memory at 4 GB); a table
-- has its real size.
CREATE OR REPLACE TEMP TABLE window_recent AS
FROM window_oop('rolling_window', getvariable('window_start'), false);

INSERT INTO fired
WITH params AS (SELECT as_of FROM eval_params),
recent AS (FROM window_recent),
priced AS (
    SELECT a.*, i.yuan, i.basis_zh, i.basis_en,
           CAST(r.window_oop AS DECIMAL(14,2)) AS window_oop,
           CAST(round(a.share * i.yuan, 2) AS DECIMAL(14,2)) AS window_line
    FROM applicable_moving AS a
    CROSS JOIN params
    JOIN recent AS r USING (person_id, window_days)
    JOIN township_income AS i
        ON i.township_code = coalesce(a.township_code, '') AND i.year = a.year
    WHERE a.kind = 'rolling_window' AND a.year = year(params.as_of)
)
SELECT person_id, year, rule_id, version, oop, window_line, severity, basis_zh, basis_en,
       replace(render(template_zh, year, oop, window_line, share, yuan, basis_zh, NULL, NULL,
                      NULL, window_days), '{window_oop}', money_text(window_oop)),
       replace(render(template_en, year, oop, window_line, share, yuan, basis_en, NULL, NULL,
                      NULL, window_days), '{window_oop}', money_text(window_oop)),
       window_oop
FROM priced
WHERE window_oop > window_line;

DROP TABLE window_recent;
