-- reads: assist_claims, claims_effective, people
-- Contract view (v1.1): one row per claim in force with the replay's step (the in-scope
-- remainder, the deductible it used, the ratio, the cap left after it, the tilted share),
-- what it entitled, what was paid and the difference (entitled - paid). The replay stores the
-- claims the policy has a step for (assist_claims: an item covers the claim, or a tilted tier
-- its year; and every claim of a person with several roster rows, whose category changed);
-- every other claim is entitled to nothing and comes from the claims in force with the
-- person's current category, which it had on its date (category_dated 'current'; no category
-- for a claim of an unknown person).
CREATE OR REPLACE VIEW assistance_claims AS
SELECT claim_id, person_id, year, settle_date, visit_type, visit_group, category, category_dated,
       remainder AS in_scope_remainder, deductible_used, ratio, cap_left, tilted, entitled,
       paid, CAST(entitled - paid AS DECIMAL(14,2)) AS difference, policy_region
FROM assist_claims
UNION ALL
SELECT c.claim_id, c.person_id, c.year, c.settle_date, c.visit_type, NULL AS visit_group,
       p.category, CASE WHEN p.person_id IS NOT NULL THEN 'current' END AS category_dated,
       CAST(greatest(coalesce(c.in_scope_cost, c.total_cost) - c.basic_paid - c.critical_paid, 0)
            AS DECIMAL(14,2)) AS in_scope_remainder,
       CAST(0 AS DECIMAL(14,2)) AS deductible_used, CAST(0 AS DECIMAL(6,4)) AS ratio,
       CAST(NULL AS DECIMAL(14,2)) AS cap_left, CAST(0 AS DECIMAL(14,2)) AS tilted,
       CAST(0 AS DECIMAL(14,2)) AS entitled, c.assistance_paid AS paid,
       CAST(-c.assistance_paid AS DECIMAL(14,2)) AS difference, NULL AS policy_region
FROM claims_effective AS c
LEFT JOIN people AS p USING (person_id)
ANTI JOIN assist_claims AS r USING (claim_id);
