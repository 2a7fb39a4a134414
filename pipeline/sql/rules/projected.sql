-- reads: applicable_moving, claims_effective, eval_params, rule_params, township_rules
-- Kind projected (method): only for the year of the data's date `as_of` (the latest settlement
-- date of any claim), when at least min_days_of_year days of it have passed. Pace = the OOP of
-- the person's claims settled in the last window_days days / window_days; projected year-end
-- OOP = OOP so far + pace x days left to 31 December (multiplied before it is divided, to the
-- cent: money_divided). Flags people still at or under the line of
-- rule `line_rule` (for their region) whose projection passes it, if at least
-- min_claims_in_window claims fall in the window (one pharmacy receipt does not trigger it).
SET VARIABLE window_start = window_since('projected');

-- The window's sums first, as a table: inside an import's transaction the planner took the
-- claims in force for a few rows and, with window_oop inlined, joined every person-year to every
-- window sum on window_days alone (1M people of one province: out of memory at 4 GB); a table
-- has its real size.
CREATE OR REPLACE TEMP TABLE window_recent AS
FROM window_oop('projected', getvariable('window_start'), true);

INSERT INTO fired
WITH params AS (SELECT as_of FROM eval_params),
recent AS (FROM window_recent),
candidates AS (
    SELECT a.*, l.line AS target, r.window_oop, r.window_claims, params.as_of,
           CAST(a.oop + money_divided(
                    r.window_oop * datediff('day', params.as_of, make_date(a.year, 12, 31)),
                    a.window_days) AS DECIMAL(14,2))
               AS projected_oop
    FROM applicable_moving AS a  -- everyone: the window moves with as_of
    CROSS JOIN params
    JOIN recent AS r USING (person_id, window_days)
    JOIN township_rules AS l
        ON l.township_code = coalesce(a.township_code, '') AND l.rule_id = a.line_rule
        AND l.enabled AND a.year BETWEEN l.effective_from AND l.effective_to
    WHERE a.kind = 'projected' AND a.year = year(params.as_of)
      AND dayofyear(params.as_of) >= a.min_days
      AND r.window_claims >= a.min_claims
)
SELECT person_id, year, rule_id, version, oop, target, severity, NULL, NULL,
       render(template_zh, year, oop, target, NULL, NULL, NULL, projected_oop, NULL, NULL,
              window_days),
       render(template_en, year, oop, target, NULL, NULL, NULL, projected_oop, NULL, NULL,
              window_days),
       oop
FROM candidates
WHERE oop <= target AND projected_oop > target;

DROP TABLE window_recent;
