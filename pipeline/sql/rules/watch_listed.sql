-- reads: fired, people, severity_policy, codes
-- The watch-list's rows: one per person-year some rule fired for (`fired`, the rule kinds'
-- rows), with the rules in their order, the line of the first rule that has one, the severity
-- (the highest of the rules', raised one step each for a burden far over the line, a category of
-- severity_policy, several rules at once) and the explanations joined. A province's evaluation
-- (rules/evaluate.sql) stores these as watch_entries with their history; the national build
-- (pipeline/national/) writes them as the national watch-list, on DuckDB or Spark.
CREATE OR REPLACE TEMP VIEW watch_listed AS
WITH per_person AS (
    -- The rules that fired, in their order (version): an unordered list, sorted per person.
    -- Ordered aggregates (string_agg … ORDER BY version) took 2.1 s for 245k people at 1M.
    SELECT person_id, year,
           list_sort(list({'version': version, 'rule_id': rule_id, 'zh': explain_zh,
                           'en': explain_en})) AS fired_rules,
           max(oop) AS oop,
           -- the first rule's (by version) threshold, the rule it belongs to and what it is
           -- compared with (a household_burden line is the household's, beside its OOP)
           arg_min({'threshold': threshold, 'rule_id': rule_id, 'compared': compared}, version)
               FILTER (WHERE threshold IS NOT NULL) AS line,
           max(severity_rank(severity)) AS base_rank,
           bool_or(threshold IS NOT NULL AND threshold > 0
                   AND compared >= threshold * (SELECT ratio_to_raise FROM severity_policy))
               AS far_over,
           count(*) AS n_rules
    FROM fired
    GROUP BY person_id, year
),
ranked AS (
    SELECT pp.person_id, pp.year, pp.oop, pp.base_rank, pp.far_over, pp.n_rules,
           pp.line.threshold AS threshold,
           pp.line.rule_id AS threshold_rule, pp.line.compared AS compared_oop,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.rule_id), ';') AS rules,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.zh), '；') AS explain_zh,
           array_to_string(list_transform(pp.fired_rules, lambda f: f.en), '; ') AS explain_en,
           p.name, p.household_id, p.village_code, p.category,
           list_contains(sp.categories, p.category) AS by_category,
           pp.n_rules >= sp.rules_to_raise AS by_rules,
           least(3, pp.base_rank
                    + CASE WHEN pp.far_over THEN 1 ELSE 0 END
                    + CASE WHEN list_contains(sp.categories, p.category) THEN 1 ELSE 0 END
                    + CASE WHEN pp.n_rules >= sp.rules_to_raise THEN 1 ELSE 0 END) AS rank
    FROM per_person AS pp
    CROSS JOIN severity_policy AS sp
    -- people joined once, narrowed to those with a rule fired first (a hash table on every
    -- person ran out of memory under 140 MB at 1M people)
    LEFT JOIN (SELECT * FROM people
               SEMI JOIN (SELECT person_id FROM fired) AS f USING (person_id)) AS p
        USING (person_id)
)
-- A severity above the highest of the rules that fired says why, after the rules' explanations
-- (a person 高 whose rules each say 中 read as an error): "风险等级 中 → 高：低保对象；同时触发
-- 2 条规则".
SELECT r.person_id, r.year, r.rules, r.oop, r.threshold,
       CASE r.rank WHEN 1 THEN 'low' WHEN 2 THEN 'medium' ELSE 'high' END AS severity,
       r.explain_zh || CASE WHEN r.rank > r.base_rank THEN
           '；风险等级 ' || ['低', '中', '高'][r.base_rank] || ' → ' || ['低', '中', '高'][r.rank]
           || '：' || concat_ws('；',
               CASE WHEN r.far_over THEN '负担达到预警线的 '
                    || (SELECT ratio_to_raise FROM severity_policy) || ' 倍' END,
               CASE WHEN r.by_category THEN coalesce(c.label_zh, r.category) END,
               CASE WHEN r.by_rules THEN '同时触发 ' || r.n_rules || ' 条规则' END)
           ELSE '' END AS explain_zh,
       r.explain_en || CASE WHEN r.rank > r.base_rank THEN
           '; severity ' || ['low', 'medium', 'high'][r.base_rank] || ' -> '
           || ['low', 'medium', 'high'][r.rank] || ': ' || concat_ws('; ',
               CASE WHEN r.far_over THEN 'burden at least '
                    || (SELECT ratio_to_raise FROM severity_policy) || ' times the line' END,
               CASE WHEN r.by_category THEN coalesce(c.label_en, r.category) END,
               CASE WHEN r.by_rules THEN r.n_rules || ' rules at once' END)
           ELSE '' END AS explain_en,
       r.name, r.household_id, r.village_code, r.category, r.threshold_rule, r.compared_oop
FROM ranked AS r
LEFT JOIN codes AS c ON c.domain = 'category' AND c.code = r.category;
