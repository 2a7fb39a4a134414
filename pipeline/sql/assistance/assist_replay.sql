-- reads: assist_claims, mart_person_year, people, replay_scope
-- The replay per person-year with claims: what the policy entitled them to, what was paid, the
-- shortfall (entitled - paid, where positive: 应救未救 / 救助不足) and the overpayment (paid -
-- entitled, where positive, reported apart and never a risk), the claims paid short, and the
-- policy's region (the most specific region file used; '' the default). The totals
-- (mart_person_year) give what was paid; the replayed claims (assist_claims) the entitlement
-- and the category on the year's last replayed claim. A person-year with none (no category
-- the policy covers, or only claims no item covers) is entitled to nothing and has the
-- person's current category. The scope's earlier rows were taken out before the replay
-- (pipeline/rules/evaluation.py, replay_assistance).
INSERT INTO assist_replay BY NAME
WITH replayed AS (
    SELECT person_id, year,
           -- (a category holds from a date: claims of one day share theirs)
           arg_max(category, settle_date) AS category,
           sum(entitled) AS entitled,
           count(*) FILTER (WHERE entitled > paid) AS claims_short,
           max(policy_region) AS policy_region
    FROM assist_claims
    WHERE (NOT getvariable('assist_scoped')
           OR (person_id, year) IN (SELECT (person_id, year) FROM replay_scope))
      AND year = coalesce(getvariable('assist_year'), year)
    GROUP BY person_id, year
),
years AS (
    SELECT m.person_id, m.year, m.claims,
           coalesce(r.category, p.category) AS category,
           coalesce(r.entitled, 0) AS entitled,
           m.assistance_paid AS paid,
           coalesce(r.claims_short, 0) AS claims_short, r.policy_region,
           r.person_id IS NOT NULL AS replayed
    FROM mart_person_year AS m
    JOIN people AS p USING (person_id)
    LEFT JOIN replayed AS r USING (person_id, year)
    WHERE m.claims > 0
      AND (NOT getvariable('assist_scoped')
           OR (m.person_id, m.year) IN (SELECT (person_id, year) FROM replay_scope))
      AND m.year = coalesce(getvariable('assist_year'), m.year)
)
SELECT person_id, year, category,
       CAST(entitled AS DECIMAL(14,2)) AS entitled,
       CAST(paid AS DECIMAL(14,2)) AS paid,
       CAST(greatest(entitled - paid, 0) AS DECIMAL(14,2)) AS shortfall,
       CAST(greatest(paid - entitled, 0) AS DECIMAL(14,2)) AS overpaid,
       claims_short, claims, policy_region, replayed
FROM years;
