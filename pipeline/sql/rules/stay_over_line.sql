-- reads: applicable, claims_effective
-- Kind stay_over_line: one inpatient stay (an inpatient settlement) whose own OOP is strictly
-- greater than the line for the person's category (e.g. 6,000 yuan for monitored people,
-- 10,000 for other rural residents). What the line is compared with is the largest stay's OOP
-- ({stay_oop} in the explanation).
INSERT INTO fired
WITH judged AS (
    SELECT * FROM applicable
    WHERE kind = 'stay_over_line' AND lines[category] IS NOT NULL
),
stays AS (
    SELECT c.person_id, c.year,
           max(c.total_cost - c.basic_paid - c.critical_paid - c.assistance_paid - c.other_paid)
               AS stay_oop
    FROM claims_effective AS c
    SEMI JOIN judged AS j ON j.person_id = c.person_id AND j.year = c.year
    WHERE c.visit_type = 'inpatient'
    GROUP BY c.person_id, c.year
)
SELECT j.person_id, j.year, j.rule_id, j.version, j.oop, j.lines[j.category], j.severity,
       NULL, NULL,
       replace(render(j.template_zh, j.year, j.oop, j.lines[j.category], NULL, NULL, NULL, NULL,
                      NULL, NULL, NULL), '{stay_oop}', money_text(s.stay_oop)),
       replace(render(j.template_en, j.year, j.oop, j.lines[j.category], NULL, NULL, NULL, NULL,
                      NULL, NULL, NULL), '{stay_oop}', money_text(s.stay_oop)),
       CAST(s.stay_oop AS DECIMAL(14,2))
FROM judged AS j
JOIN stays AS s USING (person_id, year)
WHERE s.stay_oop > j.lines[j.category];
