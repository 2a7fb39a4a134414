-- reads: raw_claims
-- The claims in force of every province, from the rows each import loaded: per province and
-- claim_id its latest row (file_id, line: the province's own order of imports), less reversal
-- rows and the claims they name, as a store's claims_effective. Claim numbers are a province's
-- own: two provinces may use one.
WITH numbered AS (
    SELECT province, claim_id, person_id, settle_date, visit_type, total_cost, basic_paid,
           critical_paid, assistance_paid, other_paid, in_scope_cost, reverses,
           row_number() OVER (PARTITION BY province, claim_id ORDER BY file_id DESC, line DESC)
               AS version
    FROM raw_claims
),
latest AS (
    SELECT * FROM numbered WHERE version = 1
),
reversed AS (
    SELECT DISTINCT province, reverses AS claim_id FROM latest WHERE reverses IS NOT NULL
)
SELECT c.province, c.claim_id, c.person_id, c.settle_date,
       CAST(year(c.settle_date) AS INTEGER) AS year, c.visit_type, c.total_cost, c.basic_paid,
       c.critical_paid, c.assistance_paid, coalesce(c.other_paid, 0) AS other_paid,
       c.in_scope_cost
FROM latest AS c
ANTI JOIN reversed AS r ON r.province = c.province AND r.claim_id = c.claim_id
WHERE c.reverses IS NULL
