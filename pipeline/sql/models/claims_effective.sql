-- A claim counts unless it is a reversal row or some reversal row names it.
CREATE OR REPLACE VIEW claims_effective AS
SELECT c.*, year(c.settle_date) AS year
FROM claim_rows AS c
WHERE c.reverses IS NULL
  AND NOT EXISTS (SELECT 1 FROM claim_rows AS r WHERE r.reverses = c.claim_id);
