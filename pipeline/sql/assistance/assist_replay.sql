-- reads: assist_claims, rule_scope
-- The replay per person-year: what the policy entitled them to, what was paid, the shortfall
-- (entitled - paid, where positive: 应救未救 / 救助不足) and the overpayment (paid - entitled,
-- where positive, reported apart and never a risk), the claims paid short, and the policy's
-- region (the most specific region file used; '' the default).
DELETE FROM assist_replay
WHERE NOT getvariable('rules_incremental') OR person_id IN (SELECT person_id FROM rule_scope);

INSERT INTO assist_replay BY NAME
SELECT person_id, year,
       arg_max(category, (settle_date, claim_id)) AS category,
       CAST(sum(entitled) AS DECIMAL(14,2)) AS entitled,
       CAST(sum(paid) AS DECIMAL(14,2)) AS paid,
       CAST(greatest(sum(entitled) - sum(paid), 0) AS DECIMAL(14,2)) AS shortfall,
       CAST(greatest(sum(paid) - sum(entitled), 0) AS DECIMAL(14,2)) AS overpaid,
       count(*) FILTER (WHERE entitled > paid) AS claims_short,
       count(*) AS claims,
       max(policy_region) AS policy_region
FROM assist_claims
WHERE NOT getvariable('rules_incremental') OR person_id IN (SELECT person_id FROM rule_scope)
GROUP BY person_id, year;
