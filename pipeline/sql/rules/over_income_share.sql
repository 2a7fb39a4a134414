-- Kind over_income_share: annual OOP strictly greater than the person's category's share of the
-- reference rural income (previous year, the person's province; see township_income).
INSERT INTO fired
SELECT a.person_id, a.year, a.rule_id, a.version, a.oop, t.threshold, a.severity,
       i.basis_zh, i.basis_en,
       render(a.template_zh, a.year, a.oop, t.threshold, t.share, i.yuan, i.basis_zh,
              NULL, NULL, NULL, NULL),
       render(a.template_en, a.year, a.oop, t.threshold, t.share, i.yuan, i.basis_en,
              NULL, NULL, NULL, NULL)
FROM applicable AS a
JOIN township_income AS i
    ON i.township_code = coalesce(a.township_code, '') AND i.year = a.year
CROSS JOIN LATERAL (
    SELECT a.shares[a.category] AS share,
           CAST(round(a.shares[a.category] * i.yuan, 2) AS DECIMAL(14,2)) AS threshold
) AS t
WHERE a.kind = 'over_income_share' AND t.share IS NOT NULL AND a.oop > t.threshold;
