-- reads: applicable, assist_replay, assist_claims, assist_names, codes, township_rules
-- Kind assistance_shortfall (issue 18): the medical-assistance replay entitled the person-year
-- to more than was paid, by more than the tolerance. Severity high when the shortfall reaches
-- high_from or the category (on the year's last claim) is one of high_categories, else the
-- rule's. There is no line: threshold stays empty, so the list's line is another rule's.
-- The explanation names the policy, the claim paid short the most (its visit type, category,
-- ratio) and what that category rests on: the roster's 认定日期 or the row's import date.
-- The explanation in one language: the usual placeholders, then the replay's.
CREATE OR REPLACE TEMP MACRO render_shortfall(t, year, oop, policy, entitled, paid, shortfall,
                                              visit, category, ratio, basis) AS
    replace(replace(replace(replace(replace(replace(replace(replace(
        render(t, year, oop, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        '{policy}', policy),
        '{entitled}', money_text(entitled)),
        '{paid}', money_text(paid)),
        '{shortfall}', money_text(shortfall)),
        '{visit}', coalesce(visit, '')),
        '{category}', coalesce(category, '')),
        '{ratio}', coalesce(share_text(ratio), '')),
        '{category_basis}', basis);

INSERT INTO fired
WITH short AS MATERIALIZED (
    -- compared on narrow columns; the templates come from township_rules for the rows that
    -- fire (carried from `applicable`, a view over every person-year, they made this 14 s of a
    -- rule run at 10M people)
    SELECT a.person_id, a.year, a.rule_id, a.version, a.township_code, a.oop, a.severity,
           a.high_from, a.high_categories, r.entitled, r.paid, r.shortfall, r.category,
           r.policy_region
    FROM (SELECT person_id, year, coalesce(township_code, '') AS township_code, rule_id, version,
                 oop, severity, high_from, high_categories, tolerance
          FROM applicable WHERE kind = 'assistance_shortfall') AS a
    JOIN (SELECT person_id, year, entitled, paid, shortfall, category, policy_region
          FROM assist_replay) AS r USING (person_id, year)
    WHERE r.shortfall > coalesce(a.tolerance, 0)
),
worst AS (
    SELECT c.person_id, c.year,
           arg_max({'visit_type': c.visit_type, 'category': c.category, 'ratio': c.ratio,
                    'dated': c.category_dated}, (c.entitled - c.paid, c.claim_id)) AS claim
    FROM assist_claims AS c
    SEMI JOIN short USING (person_id, year)
    WHERE c.entitled > c.paid
    GROUP BY c.person_id, c.year
),
named AS (
    SELECT s.*, w.claim, t.explain_zh AS template_zh, t.explain_en AS template_en,
           coalesce(n.name_zh, d.name_zh, '医疗救助政策') AS policy_zh,
           coalesce(n.name_en, d.name_en, 'the medical-assistance policy') AS policy_en,
           vt.label_zh AS visit_zh, vt.label_en AS visit_en,
           ct.label_zh AS category_zh, ct.label_en AS category_en
    FROM short AS s
    JOIN township_rules AS t
        ON t.township_code = s.township_code AND t.rule_id = s.rule_id AND t.version = s.version
    LEFT JOIN worst AS w USING (person_id, year)
    LEFT JOIN assist_names AS n ON n.region_code = s.policy_region AND s.policy_region <> ''
    LEFT JOIN assist_names AS d ON d.region_code = ''
    LEFT JOIN codes AS vt ON vt.domain = 'visit_type' AND vt.code = w.claim.visit_type
    LEFT JOIN codes AS ct ON ct.domain = 'category' AND ct.code = w.claim.category
)
SELECT person_id, year, rule_id, version, oop, NULL,
       CASE WHEN shortfall >= coalesce(high_from, shortfall + 1)
                 OR list_contains(high_categories, category) THEN 'high'
            ELSE severity END,
       NULL, NULL,
       render_shortfall(template_zh, year, oop, policy_zh, entitled, paid, shortfall, visit_zh,
                        category_zh, claim.ratio,
                        CASE claim.dated WHEN 'category_since' THEN '类别依据名单认定日期'
                                         ELSE '类别依据名单导入日期' END),
       render_shortfall(template_en, year, oop, policy_en, entitled, paid, shortfall,
                        lower(visit_en), category_en, claim.ratio,
                        CASE claim.dated WHEN 'category_since'
                             THEN 'category as of the roster''s effective date'
                             ELSE 'category as of the roster row''s import date' END),
       oop
FROM named;
