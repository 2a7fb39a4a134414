-- reads: claim_rows, reversed_claims
-- A claim counts unless it is a reversal row or some reversal row names it (reversed_claims).
-- An explicit anti-join: the correlated NOT EXISTS was planned as a delim join costing seconds
-- at 10M claims.
CREATE OR REPLACE VIEW claims_effective AS
SELECT c.*, year(c.settle_date) AS year
FROM claim_rows AS c
ANTI JOIN reversed_claims AS r ON r.claim_id = c.claim_id
WHERE c.reverses IS NULL;
