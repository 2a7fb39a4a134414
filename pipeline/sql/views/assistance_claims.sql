-- reads: assist_claims
-- Contract view (v1.1): one row per claim in force with the replay's step (the in-scope
-- remainder, the deductible it used, the ratio, the cap left after it, the tilted share),
-- what it entitled, what was paid and the difference (entitled - paid).
CREATE OR REPLACE VIEW assistance_claims AS
SELECT claim_id, person_id, year, settle_date, visit_type, visit_group, category, category_dated,
       remainder AS in_scope_remainder, deductible_used, ratio, cap_left, tilted, entitled,
       paid, CAST(entitled - paid AS DECIMAL(14,2)) AS difference, policy_region
FROM assist_claims;
